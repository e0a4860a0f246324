package gateway

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of the merchant API, served at /v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

func (g *Gateway) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
}
