package scan

import "errors"

// DryRun checks cfg and returns the plan that New would follow, send path
// included, while opening no socket and sending nothing: a dry run needs
// no privileges. It reads the kernel's route and neighbour tables as New
// does, and where New would find out by opening a raw socket whether it
// may, DryRun asks whether the process has CAP_NET_RAW in its effective
// set. So with Auto, Plan.Method is Frames or RawSocket when that holds,
// and Connect, with Plan.Fallback wrapping ErrPrivilege, when it does
// not.
//
// Its errors are New's, except those of opening sockets: a *ConfigError
// for a bad cfg, a *FramesError when cfg.Method is Frames and frames
// cannot be sent, an error wrapping ErrPrivilege when cfg.Method is
// Frames or RawSocket without CAP_NET_RAW, and the system's error when,
// say, no route leads to the first target.
func DryRun(cfg Config) (Plan, error) {
	p, err := plan(&cfg)
	if err != nil || cfg.Method == Connect {
		return p, err
	}
	path, err := choosePath(&cfg, p)
	if err != nil {
		return Plan{}, err
	}
	if err := rawPermitted(); err != nil {
		if cfg.Method != Auto || !errors.Is(err, ErrPrivilege) {
			return Plan{}, err
		}
		p.setConnect(&cfg, err)
		return p, nil
	}
	p.setRaw(&cfg, path)
	return p, nil
}

// setRaw records in p the raw send path that New opened or DryRun
// chose.
func (p *Plan) setRaw(cfg *Config, path rawPath) {
	p.Method, p.Interface, p.Source, p.Routes, p.Fallback = path.method, path.iface, path.src, path.routes, nil
	if cfg.Method == Auto {
		p.Fallback = path.declined
	}
	p.Rate, _ = pacing(cfg, *p)
}

// setConnect records in p a connect() scan, chosen by cfg or, with
// Auto, because raw sockets are not permitted: why says so.
func (p *Plan) setConnect(cfg *Config, why error) {
	p.Method, p.Interface, p.Source, p.Routes, p.Fallback = Connect, "", cfg.Source, nil, why
	p.Rate = connectRate(cfg)
}
