module github.com/shadowscale/shadowscale/drivers/aws

go 1.26.0

require github.com/shadowscale/shadowscale v0.0.0

replace github.com/shadowscale/shadowscale => ../..
