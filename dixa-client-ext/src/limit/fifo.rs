//! The waiting line in front of a limiter: callers join in arrival order,
//! each waits (parked, no polling) until it is first, and leaving, served or
//! not, lets the next one move up. It knows nothing about time or rates.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Mutex, MutexGuard};
use std::task::{Poll, Waker};

#[derive(Debug, Default)]
struct Line {
    next_id: u64,
    /// Waiters in arrival order, with the waker to call when they become
    /// first (or, for the first, when a permit comes back).
    waiters: VecDeque<(u64, Option<Waker>)>,
    /// Permits given back so far (see [`Fifo::permit_returned`]).
    returned: u64,
}

impl Line {
    /// Removes `id`; if it was first, wakes the new first.
    fn remove(&mut self, id: u64) {
        let Some(pos) = self.waiters.iter().position(|(i, _)| *i == id) else { return };
        self.waiters.remove(pos);
        if pos == 0 {
            if let Some((_, Some(waker))) = self.waiters.front_mut() {
                waker.wake_by_ref();
            }
        }
    }
}

/// A first-come, first-served waiting line.
#[derive(Debug, Default)]
pub(crate) struct Fifo {
    line: Mutex<Line>,
}

impl Fifo {
    fn line(&self) -> MutexGuard<'_, Line> {
        // Every update is complete before anything can panic, so a poisoned
        // lock still holds a consistent line.
        self.line.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins at the back: the ticket, and how many are ahead.
    pub(crate) fn join(&self) -> (Ticket<'_>, usize) {
        let mut line = self.line();
        let id = line.next_id;
        line.next_id += 1;
        line.waiters.push_back((id, None));
        (Ticket { fifo: self, id }, line.waiters.len() - 1)
    }

    /// How many are in line (the first included).
    pub(crate) fn len(&self) -> usize {
        self.line().waiters.len()
    }

    /// A permit went back to the limiter unused: the first in line, asleep
    /// until the next one, is woken to ask again now.
    pub(crate) fn permit_returned(&self) {
        let mut line = self.line();
        line.returned += 1;
        if let Some((_, Some(waker))) = line.waiters.front() {
            waker.wake_by_ref();
        }
    }
}

/// A place in line; dropping it leaves the line.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    fifo: &'a Fifo,
    id: u64,
}

impl Ticket<'_> {
    /// Completes when this ticket is first in line.
    pub(crate) async fn turn(&self) {
        poll_fn(|cx| {
            let mut line = self.fifo.line();
            if line.waiters.front().is_some_and(|(i, _)| *i == self.id) {
                return Poll::Ready(());
            }
            match line.waiters.iter_mut().find(|(i, _)| *i == self.id) {
                Some((_, waker)) => {
                    if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *waker = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
                // Not in line (cannot happen while the ticket lives): go on.
                None => Poll::Ready(()),
            }
        })
        .await
    }

    /// For the first in line: waits for `sleep`, or less if a permit is
    /// given back meanwhile ([`Fifo::permit_returned`]). Parked either way.
    pub(crate) async fn sleep_or_returned(&self, sleep: impl std::future::Future<Output = ()>) {
        let seen = self.fifo.line().returned;
        let mut sleep = std::pin::pin!(sleep);
        poll_fn(|cx| {
            {
                let mut line = self.fifo.line();
                if line.returned != seen {
                    return Poll::Ready(());
                }
                if let Some((_, waker)) = line.waiters.iter_mut().find(|(i, _)| *i == self.id) {
                    if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *waker = Some(cx.waker().clone());
                    }
                }
            }
            sleep.as_mut().poll(cx)
        })
        .await
    }

    /// Served: leaves the line, and the next one moves up.
    pub(crate) fn done(self) {
        // Drop does the work.
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.fifo.line().remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Wake};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn served_in_order_and_leavers_let_the_next_move_up() {
        let fifo = Fifo::default();
        let (a, ahead_a) = fifo.join();
        let (b, ahead_b) = fifo.join();
        let (c, ahead_c) = fifo.join();
        assert_eq!((ahead_a, ahead_b, ahead_c), (0, 1, 2));
        let wakes = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let mut tb = Box::pin(b.turn());
        let mut tc = Box::pin(c.turn());
        assert!(tb.as_mut().poll(&mut cx).is_pending());
        assert!(tc.as_mut().poll(&mut cx).is_pending());
        // The first leaves unserved (cancelled): b is woken and first.
        drop(a);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert!(tb.as_mut().poll(&mut cx).is_ready());
        assert!(tc.as_mut().poll(&mut cx).is_pending());
        // A waiter behind leaving wakes no one.
        let (d, _) = fifo.join();
        drop(d);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert_eq!(fifo.len(), 2);
        drop(tb);
        b.done();
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
        assert!(tc.as_mut().poll(&mut cx).is_ready());
        drop(tc);
        c.done();
        assert_eq!(fifo.len(), 0);
    }
}
