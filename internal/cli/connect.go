package cli

import "errors"

func openConnect(o *options, p *plan) (scanner, error) {
	return nil, errors.New("connect scan: not built yet")
}
