//! Where the main loop's input comes from: one channel that carries terminal events (read on
//! their own thread, so no key press waits on anything) and the loader's messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as Term};

use super::loader::Msg;

#[derive(Debug)]
pub enum Event {
    Term(Term),
    /// From the loader of a scan generation.
    Loader(Msg),
}

/// The channel, and a flag that stops the input thread.
#[derive(Debug)]
pub struct Events {
    pub tx: Sender<Event>,
    pub rx: Receiver<Event>,
    stop: Arc<AtomicBool>,
}

impl Events {
    /// Starts reading the terminal.
    pub fn start() -> Events {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (tx.clone(), Arc::clone(&stop));
        let _ = std::thread::Builder::new()
            .name("pmta-lens-input".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    match event::poll(Duration::from_millis(100)) {
                        Ok(true) => match event::read() {
                            Ok(e) => {
                                if t.send(Event::Term(e)).is_err() {
                                    return;
                                }
                            }
                            Err(_) => return,
                        },
                        Ok(false) => {}
                        Err(_) => return,
                    }
                }
            });
        Events { tx, rx, stop }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
