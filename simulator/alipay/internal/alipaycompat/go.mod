module github.com/tongdao/tongdao/simulator/alipay/internal/alipaycompat

go 1.26.8

require (
	github.com/go-pay/gopay v1.5.123
	github.com/smartwalle/alipay/v3 v3.2.25
	github.com/tongdao/tongdao v0.0.0
)

require (
	github.com/go-pay/crypto v0.0.3 // indirect
	github.com/go-pay/xlog v0.0.3 // indirect
	github.com/go-pay/xtime v0.0.2 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	github.com/smartwalle/ncrypto v1.0.4 // indirect
	github.com/smartwalle/ngx v1.0.9 // indirect
	github.com/smartwalle/nsign v1.0.9 // indirect
	github.com/tjfoc/gmsm v1.4.1 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/tongdao/tongdao => ../../../..
