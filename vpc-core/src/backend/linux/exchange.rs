//! One tunnel's probe as a state machine, without sockets or clocks of
//! its own (time is passed in): ask where the far end's link address is,
//! learn its MAC from the answer, send it an echo request, time the
//! reply. Unanswered frames are sent again every [`RESEND`] until the
//! caller's deadline; each echo has its own sequence number, and the
//! round trip is timed from the send of the echo that was answered.

use std::time::{Duration, Instant};

use super::wire::{self, Ends, Heard};
use crate::model::addr::Mac;

/// How long an unanswered solicitation or echo waits before it is sent
/// again: a lost frame costs this much, not the whole timeout.
pub const RESEND: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Asking where the far end is.
    Resolving,
    /// Echoing to the MAC the far end gave.
    Echoing(Mac),
    /// The far end answered an echo after this long.
    Answered(Duration),
}

/// One tunnel's exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    ends: Ends,
    ident: u16,
    state: State,
    /// When each echo (by sequence number) was sent.
    echoes: Vec<Instant>,
    /// When the current stage's frame is next due.
    due: Instant,
}

impl Exchange {
    /// An exchange over the tunnel of `ends`, starting at `now`; echoes
    /// carry `ident`.
    pub fn new(ends: Ends, ident: u16, now: Instant) -> Exchange {
        Exchange {
            ends,
            ident,
            state: State::Resolving,
            echoes: Vec::new(),
            due: now,
        }
    }

    /// The frame to send at `now`, if one is due: the solicitation or the
    /// echo, at once when its stage begins and again every [`RESEND`].
    /// The caller sends it (or fails to: it is still counted as sent).
    pub fn poll(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.next_send().is_none_or(|at| at > now) {
            return None;
        }
        let frame = match self.state {
            State::Resolving => wire::solicit(&self.ends)?,
            State::Echoing(mac) => {
                // Sequence numbers stay below 2^16: one per RESEND within
                // a timeout of seconds.
                let seq = self.echoes.len() as u16;
                self.echoes.push(now);
                wire::echo(&self.ends, mac, self.ident, seq)?
            }
            State::Answered(_) => return None,
        };
        self.due = now + RESEND;
        Some(frame)
    }

    /// When [`poll`](Self::poll) next has a frame; `None` once answered.
    pub fn next_send(&self) -> Option<Instant> {
        match self.state {
            State::Answered(_) => None,
            _ => Some(self.due),
        }
    }

    /// Takes in `frame`, heard on the tunnel at `now`.
    pub fn receive(&mut self, frame: &[u8], now: Instant) {
        match (&self.state, wire::hear(&self.ends, frame)) {
            (State::Resolving, Some(Heard::At(mac))) => {
                self.state = State::Echoing(mac);
                self.due = now;
            }
            (State::Echoing(_), Some(Heard::Echo(ident, seq))) if ident == self.ident => {
                if let Some(sent) = self.echoes.get(usize::from(seq)) {
                    self.state = State::Answered(now.saturating_duration_since(*sent));
                }
            }
            _ => {}
        }
    }

    /// The round-trip time, once the far end has answered an echo.
    pub fn rtt(&self) -> Option<Duration> {
        match self.state {
            State::Answered(d) => Some(d),
            _ => None,
        }
    }

    /// The MAC the far end gave, once it has.
    pub fn peer_mac(&self) -> Option<Mac> {
        match self.state {
            State::Echoing(m) => Some(m),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::linux::wire::{arp, ethernet, icmp, ipv4};
    use std::net::Ipv4Addr;

    const MINE: Mac = Mac([2, 0, 0, 0, 0, 1]);
    const FAR: Mac = Mac([0x5a, 0, 0, 0, 0, 2]);
    const A: Ipv4Addr = Ipv4Addr::new(10, 100, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(10, 100, 0, 2);

    fn ends() -> Ends {
        Ends {
            mac: MINE,
            from: A.into(),
            to: B.into(),
        }
    }

    fn arp_reply() -> Vec<u8> {
        ethernet::frame(MINE, FAR, ethernet::ARP, &arp::reply(FAR, B, MINE, A))
    }

    fn echo_reply(ident: u16, seq: u16) -> Vec<u8> {
        ethernet::frame(
            MINE,
            FAR,
            ethernet::IPV4,
            &ipv4::packet(B, A, icmp::PROTOCOL, &icmp::echo_reply_of(ident, seq)),
        )
    }

    #[test]
    fn solicit_learn_echo_time() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut x = Exchange::new(ends(), 77, t0);
        let first = x.poll(t0).unwrap();
        assert_eq!(first, wire::solicit(&ends()).unwrap());
        assert_eq!(x.poll(t0 + ms(1)), None, "not again before RESEND");
        assert_eq!(x.poll(t0 + RESEND), Some(first), "again after RESEND");
        // An echo reply before the MAC is known means nothing.
        x.receive(&echo_reply(77, 0), t0 + ms(250));
        assert_eq!(x.rtt(), None);
        x.receive(&arp_reply(), t0 + ms(300));
        assert_eq!(x.peer_mac(), Some(FAR), "the MAC the far end gave");
        let e0 = x.poll(t0 + ms(300)).unwrap();
        assert_eq!(
            e0,
            wire::echo(&ends(), FAR, 77, 0).unwrap(),
            "echo at once, to that MAC"
        );
        let e1 = x.poll(t0 + ms(500)).unwrap();
        assert_eq!(e1, wire::echo(&ends(), FAR, 77, 1).unwrap());
        // Another identifier, or a sequence never sent, is not ours.
        x.receive(&echo_reply(78, 0), t0 + ms(510));
        x.receive(&echo_reply(77, 9), t0 + ms(510));
        assert_eq!(x.rtt(), None);
        // The answer to the first echo, timed from its own send.
        x.receive(&echo_reply(77, 0), t0 + ms(520));
        assert_eq!(x.rtt(), Some(ms(220)));
        assert_eq!(x.next_send(), None);
        assert_eq!(x.poll(t0 + ms(900)), None);
        // Later frames change nothing.
        x.receive(&echo_reply(77, 1), t0 + ms(900));
        assert_eq!(x.rtt(), Some(ms(220)));
    }

    #[test]
    fn a_silent_far_end_is_asked_again_and_never_answers() {
        let t0 = Instant::now();
        let mut x = Exchange::new(ends(), 1, t0);
        let sent = (0..10)
            .filter(|i| x.poll(t0 + RESEND * *i / 2).is_some())
            .count();
        assert_eq!(sent, 5, "one every RESEND");
        x.receive(&[], t0);
        x.receive(&[0xff; 64], t0);
        assert_eq!((x.rtt(), x.peer_mac()), (None, None));
    }
}
