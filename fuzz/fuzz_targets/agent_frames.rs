//! What the agent reads from a client socket, and what a client reads back: arbitrary bytes
//! through the same frame reader and request decoder as the agent's connection loop. Every
//! complete line gets exactly one outcome, an oversized line is refused whole, an error reply
//! never echoes the input (it may hold a password), and a decoded request survives a
//! re-encoding unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault_agent::fuzzing::{requests, response};
use vault_agent::protocol::WireError;
use vault_agent::{Request, Response};

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (buffer, limit, bytes) = input;
    // Small buffers and limits, so lines straddle reads and the size limit is met.
    let buffer = usize::from(buffer % 32) + 1;
    let limit = usize::from(limit) * 4 + 8;
    let outcomes = requests(bytes, buffer, limit);
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // A trailing partial line is dropped, as a closed connection; unless it already crossed
    // the limit, which is refused as soon as it is seen.
    if lines.last().is_some_and(|l| l.len() <= limit) {
        lines.pop();
    }
    assert_eq!(outcomes.len(), lines.len());
    for (line, outcome) in lines.iter().zip(&outcomes) {
        match outcome {
            Ok(request) => {
                assert!(line.len() <= limit);
                let json = serde_json::to_vec(request).expect("a request encodes");
                let again: Request = serde_json::from_slice(&json).expect("and decodes");
                assert_eq!(serde_json::to_vec(&again).expect("encodes"), json);
            }
            Err(Response::Error(WireError { message, .. })) => {
                if line.len() > limit {
                    assert!(message.starts_with("request larger than"), "{message}");
                } else {
                    assert!(
                        message.starts_with("malformed request at column "),
                        "{message}"
                    );
                    assert!(
                        message.ends_with(": not valid JSON")
                            || message.ends_with("(is the client a newer version?)"),
                        "the reply must be one of the fixed texts: {message}"
                    );
                }
            }
            Err(other) => panic!("not an error reply: {other:?}"),
        }
    }
    // The client side: one answer read from the agent.
    if let Ok(r) = response(bytes, buffer) {
        let json = serde_json::to_vec(&r).expect("a response encodes");
        let again: Response = serde_json::from_slice(&json).expect("and decodes");
        assert_eq!(serde_json::to_vec(&again).expect("encodes"), json);
    }
});
