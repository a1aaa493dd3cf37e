//! `agent-probe SOCKET LINE`: connects to a Unix socket, sends one line, prints the first line
//! of the answer. Lets a test speak to the agent as another user (under `setpriv`), where the
//! `vault` client itself would already refuse the folder.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, socket, line] = args.as_slice() else {
        eprintln!("usage: agent-probe SOCKET LINE");
        return ExitCode::from(2);
    };
    let result = UnixStream::connect(socket).and_then(|mut s| {
        // An agent that refuses us answers and hangs up without reading: the write may then
        // fail, and the answer is still there to read.
        let _ = s.write_all(format!("{line}\n").as_bytes());
        let mut answer = String::new();
        BufReader::new(s).read_line(&mut answer)?;
        Ok(answer)
    });
    match result {
        Ok(answer) => {
            print!("{answer}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agent-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
