// Package ratectl finds a scan's send rate from what the network answers:
// a controller, a pure function of the counters it is shown, that climbs
// while the share of probes answered holds against the level it learned at
// low rates, and backs off when that share falls or the capture drops
// replies.
//
// # The signal
//
// The engine shows the controller its cumulative counters every 50 ms or
// so. The controller keeps a short history of them and judges windows: the
// probes sent over a span (u0, u1], and the answers that came over (u0 +
// RTT, now], with u1 = now − RTT, so that each answer is set against the
// probe it answers. A window starts only after the latest change of rate,
// so that all its probes went at one rate; an RTT estimate that is too long
// then only makes the controller slower, which is why, while the engine has
// no estimate, it uses the time from the first probes to the first answers,
// which is never shorter than the RTT. A window is judged once it expects
// enough answers for its ratio to mean something (100 in slow start, 800
// after), and grows until then, however sparse the space.
//
// A window's ratio is judged against the baseline b, the ratio the space
// gives below the network's capacity: it is lossy if it falls short of b by
// more than 10%, or by more than three standard deviations of its noise and
// the baseline's, whichever is more. With n answers expected, the relative
// standard deviation of a ratio is √((1−b)/n): none when every probe is
// answered, as in the lab; 3.4% at b = 0.05 and n = 800. So a sparse space,
// where 95% of probes get no answer, is judged by the change of its ratio,
// not by its level, and climbs as fast as a dense one.
//
// # The baseline
//
// The first window, at the start rate, gives the baseline once 200
// answers have come; the start rate must be below the network's capacity.
// After that the baseline moves on evidence that the rate did not cause
// the change, never on a window that may be above the capacity:
//
//   - A clean window at rate r, one whose ratio fell short of b by less
//     than the threshold t, shows that r was at most capacity/(1−t), so an
//     earlier clean window at r·(1−t) or less was below the capacity: its
//     counts join the baseline (which keeps the last 5000 answers' worth).
//   - Windows whose ratio stays above b by more than t for a second move b
//     up to theirs: loss never raises a ratio, and a second outlasts the
//     burst of late answers when the RTT falls.
//   - After a cut, a window still lossy is set against two readings: if the
//     rate was above the capacity, the cut raised the ratio in proportion;
//     if the space now answers less (the path loses a share of the
//     probes), the ratio stayed. Only if it clearly stayed is the cut
//     undone and b moved down, to the ratio at the rate restored.
//
// # The control law
//
// AIMD halves the rate on loss and adds a constant: its sawtooth averages
// three quarters of the capacity, and with a bottleneck that drops rather
// than queues, each climb past it loses probes for as long as the additive
// step takes. A stateless scanner can do better, since it knows what got
// through: the answers. So:
//
//   - Slow start doubles the rate each round, a round being one rate held
//     until a window sent entirely at it is judged (an RTT plus the
//     window). One change per round bounds the overshoot, whatever the RTT.
//   - On loss, the rate goes to 95% of the delivered estimate, the
//     window's send rate × ratio ÷ baseline: what got through the
//     bottleneck. This lands just below the capacity in one step, as TCP
//     Westwood and BBR do with their bandwidth estimates. A cut takes at
//     most half, so a window whose answers were merely late cannot cut the
//     rate to nothing.
//   - Then it probes upward multiplicatively, by a step that starts at 1%
//     after a loss and doubles with each clean round: up to 8% near the
//     knee (the last delivered estimate), where loss shows at about 1.11 ×
//     the capacity, so the rate passes it by at most 8% and stays under
//     1.2 × the capacity; up to 25% away from it, so that a capacity that
//     rose is found within a few rounds. In steady state the rate cycles
//     between 0.95 and about 1.2 × the capacity.
//   - Capture drops are our receiver's loss, not the network's: the
//     network's ratio counts the dropped replies as answered, and the rate
//     goes to 95% of what the receiver kept, rate × answered ÷ (answered +
//     dropped). The baseline is not touched.
//   - A window sent at less than 90% of the rate is sender-bound: the rate
//     is held, and lowered to twice what was sent if above (but not below
//     the start rate), so that it does not run away past what the senders
//     can do, and a bottleneck that appears later is found at once.
//   - A window without a single answer says nothing about the rate (the
//     RTT rose, the path is down): it is skipped, and a cut just made is
//     undone. Nor does one with more answers than the baseline allows (the
//     RTT fell): the rate holds while it lasts.
//
// # Retries
//
// The engine resends unanswered probes a second later, and Sent counts
// them. In a dense space they go to probes that were lost, which answer as
// often as fresh ones. In a sparse space most go to silent addresses, so
// that with three retries the ratio of all probes falls to a quarter of
// the fresh probes' within seconds, and a cut crowds out fresh probes
// further, as retries come due at the rate of a second before. The
// controller reads a fall that a cut does not cure as a change of the
// space, and a window without answers as no evidence, so the rate does
// not collapse; but the signal is weak, and in the simulator such a scan
// runs at about half of what the senders can do. An engine that counts
// its first tries and their answers (Sample.FirstSent and FirstAnswered)
// gives the controller a ratio that retries do not dilute, and it judges
// that one.
package ratectl
