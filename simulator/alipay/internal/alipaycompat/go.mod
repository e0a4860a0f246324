module github.com/tongdao/tongdao/simulator/alipay/internal/alipaycompat

go 1.26.8

require github.com/tongdao/tongdao v0.0.0

require (
	github.com/go-pay/gopay v1.5.123 // indirect
	github.com/smartwalle/alipay/v3 v3.2.25 // indirect
	github.com/smartwalle/ncrypto v1.0.4 // indirect
	github.com/smartwalle/ngx v1.0.9 // indirect
	github.com/smartwalle/nsign v1.0.9 // indirect
)

replace github.com/tongdao/tongdao => ../../../..
