package simulator

import "net/http"

// controlHandler builds the control API router.
func (s *Server) controlHandler() http.Handler {
	return http.NotFoundHandler()
}
