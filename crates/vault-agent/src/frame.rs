//! Newline-delimited JSON frames with a size limit, for both ends of the socket.
//!
//! Frame buffers may hold passwords and values, so they are zeroized when dropped.

use std::io::{self, BufRead, Write};

use serde::Serialize;
use zeroize::Zeroizing;

/// One read from the stream.
#[derive(Debug)]
pub enum Frame {
    /// A complete line, without its newline.
    Line(Zeroizing<Vec<u8>>),
    /// A line longer than the limit; it was read to its end and discarded.
    TooLarge,
    /// The other end closed the connection.
    Closed,
}

/// Reads one line of at most `limit` bytes.
pub fn read_frame(reader: &mut impl BufRead, limit: usize) -> io::Result<Frame> {
    let mut line = Zeroizing::new(Vec::new());
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            // EOF: a partial line without a newline is dropped, like a closed connection.
            return Ok(Frame::Closed);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let over = line.len() + chunk.len() > limit;
        if !over {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        if over {
            line.clear();
            skip_line(reader, done.is_some())?;
            return Ok(Frame::TooLarge);
        }
        if done.is_some() {
            return Ok(Frame::Line(line));
        }
    }
}

/// Discards input up to and including the next newline (unless it was already consumed).
fn skip_line(reader: &mut impl BufRead, newline_seen: bool) -> io::Result<()> {
    if newline_seen {
        return Ok(());
    }
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = available.len();
                reader.consume(n);
            }
        }
    }
}

/// Writes `value` as one JSON line, through a buffer that is wiped afterwards.
pub fn write_frame(writer: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut buf = Zeroizing::new(serde_json::to_vec(value).map_err(io::Error::other)?);
    buf.push(b'\n');
    writer.write_all(&buf)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn frames(input: &[u8], limit: usize) -> Vec<String> {
        // A tiny buffer makes lines span many reads.
        let mut r = BufReader::with_capacity(3, input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut r, limit).unwrap() {
                Frame::Line(l) => out.push(String::from_utf8(l.to_vec()).unwrap()),
                Frame::TooLarge => out.push("<too large>".into()),
                Frame::Closed => return out,
            }
        }
    }

    #[test]
    fn lines_limits_and_eof() {
        assert_eq!(frames(b"ab\ncd\n", 10), ["ab", "cd"]);
        assert_eq!(
            frames(b"0123456789abc\nok\n", 10),
            ["<too large>", "ok"],
            "an oversized line is skipped whole and the next one still read"
        );
        assert_eq!(frames(b"0123456789\n", 10), ["0123456789"]);
        assert_eq!(frames(b"tail without newline", 100), Vec::<String>::new());
        assert_eq!(frames(b"\n", 10), [""]);
    }
}
