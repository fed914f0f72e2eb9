package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/trawlscan/trawl/internal/priv"
)

// runAs is whom trawl runs as once it has given up its privileges.
type runAs struct {
	// sudo is the user who ran sudo, whom trawl has become; nil if it
	// kept its user ID.
	sudo *priv.User
	// root is whether trawl kept user ID 0, without its capabilities.
	root bool
}

// dropPrivileges gives up every privilege trawl holds, for good, once the
// scan's sockets are open and before it opens its outputs or reads a
// reply: under sudo it becomes the user who ran sudo, so that its files
// are that user's, as they would be without sudo. A connect() scan needs
// no privilege either, so it gives them up too. Main's tests run it
// in-process and replace dropPrivileges, so that the test process keeps
// its own.
var dropPrivileges = func() (runAs, error) {
	u, err := priv.SudoUser(os.Getenv)
	if err != nil {
		return runAs{}, usageError{err}
	}
	if err := priv.Drop(u); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return runAs{}, nil // no raw sockets here either
		}
		return runAs{}, err
	}
	return runAs{sudo: u, root: u == nil && os.Geteuid() == 0}, nil
}

// explain says, after a permission error on one of trawl's files, why
// trawl, though started as root, could not write it.
func (r runAs) explain(err error) error {
	switch {
	case err == nil || !errors.Is(err, fs.ErrPermission):
		return err
	case r.sudo != nil:
		return fmt.Errorf("%w (trawl writes its files as uid %d, who ran sudo, once its sockets are open)", err, r.sudo.UID)
	case r.root:
		return fmt.Errorf("%w (trawl holds no capability once its sockets are open, so root no longer overrides file permissions)", err)
	}
	return err
}
