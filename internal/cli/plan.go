package cli

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/trawlscan/trawl/internal/engine"
	"github.com/trawlscan/trawl/pkg/target"
)

// plan is what to probe and in which order, built from the options before
// anything is sent.
type plan struct {
	space      *target.Space
	perm       *target.Permutation
	seed       uint64
	shard      target.Shard
	start, end uint64 // permutation positions of this run
	first      netip.Addr
	loopback   bool // every target is in 127.0.0.0/8
}

// buildPlan parses targets, ports, excludes, shard and seed. Every error
// is a usage error naming the bad token.
func buildPlan(o *options, stdin io.Reader) (*plan, error) {
	if o.ports == "" {
		return nil, usagef("no ports given: use -p, e.g. -p 80 or -p 1-1024")
	}
	ports, err := target.ParsePorts(o.ports)
	if err != nil {
		return nil, usageError{err}
	}
	include, err := target.ParseTargets(o.rest)
	if err != nil {
		return nil, usageError{err}
	}
	for _, name := range o.inputLists {
		rs, err := readTargetFile(name, stdin)
		if err != nil {
			return nil, err
		}
		include = append(include, rs...)
	}
	if len(include) == 0 {
		return nil, usagef("no targets given: name addresses, CIDRs or ranges, or use -iL FILE")
	}
	exclude, err := target.ParseTargets(o.excludes)
	if err != nil {
		return nil, usageError{fmt.Errorf("--exclude: %w", err)}
	}
	for _, name := range o.excludeFiles {
		rs, err := readTargetFile(name, stdin)
		if err != nil {
			return nil, err
		}
		exclude = append(exclude, rs...)
	}
	space, err := target.NewSpace(include, exclude, ports)
	if err != nil {
		return nil, usageError{err}
	}
	p := &plan{space: space}
	if p.shard, err = parseShard(o); err != nil {
		return nil, err
	}
	if o.seed != "" {
		if p.seed, err = strconv.ParseUint(o.seed, 0, 64); err != nil {
			return nil, usagef("--seed %q: not a number", o.seed)
		}
	} else if p.shard.Count > 1 {
		return nil, usagef("--shard %s needs --seed, so that every shard uses the same order", p.shard)
	} else {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("random seed: %w", err)
		}
		p.seed = binary.LittleEndian.Uint64(b[:])
	}
	p.perm = target.NewPermutation(space.Len(), p.seed)
	p.start, p.end = p.shard.Bounds(space.Len())
	if n := p.end - p.start; n > engine.MaxProbes {
		return nil, usagef("%d probes in one scan; the most is %d (one bit each for answers): split it with --shard I/N", n, uint64(engine.MaxProbes))
	}
	if o.resume != "" {
		if o.resumeFrom < p.start || o.resumeFrom > p.end {
			return nil, usagef("--resume %s: position %d is outside this scan's [%d, %d)", o.resume, o.resumeFrom, p.start, p.end)
		}
		p.start = o.resumeFrom
	}
	rs := space.Ranges()
	p.first = target.AddrOf(rs[0].First)
	p.loopback = true
	for _, r := range rs {
		if r.First>>24 != 127 || r.Last>>24 != 127 {
			p.loopback = false
		}
	}
	return p, nil
}

// parseShard reads --shard I/N, or --shard auto with the index from a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) and the count
// from --shards or TRAWL_SHARDS.
func parseShard(o *options) (target.Shard, error) {
	if o.shard == "" {
		return target.Shard{}, nil
	}
	if o.shard != "auto" {
		s, err := target.ParseShard(o.shard)
		if err != nil {
			return s, usageError{fmt.Errorf("--shard: %w", err)}
		}
		return s, nil
	}
	idx, err := strconv.Atoi(os.Getenv("JOB_COMPLETION_INDEX"))
	if err != nil {
		return target.Shard{}, usagef("--shard auto: JOB_COMPLETION_INDEX %q is not a number (run as a Kubernetes Indexed Job)", os.Getenv("JOB_COMPLETION_INDEX"))
	}
	count := o.shards
	if count == 0 {
		if count, err = strconv.Atoi(os.Getenv("TRAWL_SHARDS")); err != nil {
			return target.Shard{}, usagef("--shard auto: give the number of shards with --shards or TRAWL_SHARDS")
		}
	}
	s, err := target.ParseShard(fmt.Sprintf("%d/%d", idx+1, count))
	if err != nil {
		return s, usageError{fmt.Errorf("--shard auto: %w", err)}
	}
	return s, nil
}

// readTargetFile reads targets from a file, or from stdin for "-".
func readTargetFile(name string, stdin io.Reader) ([]target.Range, error) {
	if name == "-" {
		rs, err := target.ReadTargets(stdin, "stdin")
		if err != nil {
			return nil, usageError{err}
		}
		return rs, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, usagef("cannot read targets: %v", strings.TrimPrefix(err.Error(), "open "))
	}
	defer f.Close()
	rs, err := target.ReadTargets(f, name)
	if err != nil {
		return nil, usageError{err}
	}
	return rs, nil
}
