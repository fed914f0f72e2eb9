// Package pace spaces probes to an average rate against an absolute
// schedule, so that sleeps the timer rounds up are made good by later
// probes instead of lowering the rate; the SYN engine's senders and the
// connect scan's workers share it.
package pace
