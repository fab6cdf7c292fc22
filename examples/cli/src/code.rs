//! `assent code`: codes of one URI, written fast enough for huge windows.

use std::io::{self, BufWriter, Read, Write};
use std::thread;

use assent_core::{Clock, SystemClock};
use assent_otp::{Code, OtpAuth, OtpKind};
use clap::Args;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Arguments of `assent code`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The otpauth:// URI, or "-" to read it from stdin (keeps the secret
    /// out of the process list).
    uri: String,
    /// TOTP: the Unix time to compute at (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<u64>,
    /// HOTP: the counter (default: the URI's); TOTP: the time step.
    #[arg(long, value_name = "N")]
    counter: Option<u64>,
    /// Also print the codes of the next N steps/counters (N+1 lines).
    #[arg(long, short = 'w', value_name = "N", default_value_t = 0)]
    window: u64,
}

/// Reads the URI argument, from stdin when it is "-".
pub fn read_uri(arg: &str) -> Result<Zeroizing<String>, CliError> {
    if arg != "-" {
        return Ok(Zeroizing::new(arg.to_owned()));
    }
    let mut text = Zeroizing::new(String::new());
    io::stdin().read_to_string(&mut text)?;
    Ok(Zeroizing::new(text.trim().to_owned()))
}

/// Runs `assent code`.
pub fn run(args: &CodeArgs) -> Result<(), CliError> {
    let uri = read_uri(&args.uri)?;
    let otp = OtpAuth::parse(&uri)?;
    let start = match otp.kind {
        OtpKind::Totp { .. } => match (args.at, args.counter) {
            (Some(_), Some(_)) => return Err(CliError::Usage("give --at or --counter, not both")),
            (_, Some(step)) => step,
            (at, None) => otp.totp()?.step_at(at.unwrap_or_else(|| SystemClock.now())),
        },
        OtpKind::Hotp { counter } => {
            if args.at.is_some() {
                return Err(CliError::Usage("--at applies to TOTP URIs only"));
            }
            args.counter.unwrap_or(counter)
        }
    };
    let end = start.saturating_add(args.window);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match otp.kind {
        OtpKind::Totp { .. } => {
            let totp = otp.totp()?;
            write_codes(&mut out, start, end, |step| totp.code_for_step(step))?;
        }
        OtpKind::Hotp { .. } => {
            let hotp = otp.hotp()?;
            write_codes(&mut out, start, end, |counter| hotp.code(counter))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Codes per chunk when a large window is split across threads.
const CHUNK: u64 = 1 << 16;

/// Writes the codes of `start..=end`, one per line, in order. Large windows
/// are computed a batch of chunks at a time on every core (the HMACs are
/// the cost) and written in order as each batch completes.
fn write_codes(
    out: &mut impl Write,
    start: u64,
    end: u64,
    code: impl Fn(u64) -> Code + Sync,
) -> io::Result<()> {
    let threads = thread::available_parallelism().map_or(1, usize::from);
    let total = end - start; // lines - 1; `end >= start` by construction
    if threads < 2 || total < CHUNK {
        for n in start..=end {
            write_code(out, code(n))?;
        }
        return Ok(());
    }
    let chunks = (start..=end).step_by(CHUNK as usize).map(|first| {
        let last = first.saturating_add(CHUNK - 1).min(end);
        (first, last)
    });
    let mut chunks = chunks.peekable();
    while chunks.peek().is_some() {
        let batch: Vec<(u64, u64)> = chunks.by_ref().take(threads).collect();
        let rendered: Vec<io::Result<Vec<u8>>> = thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|&(first, last)| {
                    let code = &code;
                    scope.spawn(move || {
                        let mut buf = Vec::with_capacity(CHUNK as usize * 9);
                        for n in first..=last {
                            write_code(&mut buf, code(n))?;
                        }
                        Ok(buf)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(io::Error::other("code thread failed")))
                })
                .collect()
        });
        for buf in rendered {
            out.write_all(&buf?)?;
        }
    }
    Ok(())
}

/// Writes the zero-padded code and a newline without the formatting machinery.
fn write_code(out: &mut impl Write, code: Code) -> io::Result<()> {
    let digits = usize::from(code.digits()).min(9);
    let mut buf = [b'0'; 10];
    let mut value = code.value();
    for slot in buf[..digits].iter_mut().rev() {
        // `value % 10` is below 10, so the cast cannot truncate.
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
    buf[digits] = b'\n';
    out.write_all(&buf[..=digits])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_code_pads() {
        let otp =
            OtpAuth::parse("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8")
                .unwrap();
        let code = otp.totp().unwrap().code_at(1_111_111_109);
        let mut out = Vec::new();
        write_code(&mut out, code).unwrap();
        assert_eq!(out, b"07081804\n");
        assert_eq!(String::from_utf8(out).unwrap().trim(), code.to_string());
    }

    #[test]
    fn threaded_output_equals_sequential() {
        let otp = OtpAuth::parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        let totp = otp.totp().unwrap();
        let (start, end) = (5, 5 + 3 * CHUNK + 17);
        let mut threaded = Vec::new();
        write_codes(&mut threaded, start, end, |n| totp.code_for_step(n)).unwrap();
        let mut sequential = Vec::new();
        for n in start..=end {
            write_code(&mut sequential, totp.code_for_step(n)).unwrap();
        }
        assert_eq!(threaded, sequential);
        let mut top = Vec::new();
        write_codes(&mut top, u64::MAX - 2, u64::MAX, |n| totp.code_for_step(n)).unwrap();
        assert_eq!(top.len(), 3 * 7);
    }
}
