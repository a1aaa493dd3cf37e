//! Responses that echo a secret back (an API that returns the request, a debug endpoint): the
//! real value is swapped for its placeholder before the child sees it, as the body streams.
//!
//! Only what could be the start of a value is held back between chunks, so a stream that never
//! ends in part of a secret (Server-Sent Events end every event in a blank line) is passed on
//! chunk by chunk, never buffered.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use memchr::memmem::Finder;
use zeroize::Zeroizing;

/// Bytes wiped when dropped: values, placeholders.
pub type Secret = Zeroizing<Vec<u8>>;

/// Texts to find and what replaces each (real values and their placeholders, or the other way
/// round). Made for every request, so made cheaply: one substring finder per text (a request
/// carries a handful), not an automaton.
pub struct Swap {
    finders: Vec<Finder<'static>>,
    values: Vec<Zeroizing<Vec<u8>>>,
    /// Zeroized too: on the way out these are the real values.
    placeholders: Vec<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Swap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Swap").finish_non_exhaustive()
    }
}

impl Swap {
    /// `None` when there is nothing to swap.
    pub fn new(pairs: Vec<(Secret, Secret)>) -> Option<Self> {
        let pairs: Vec<_> = pairs.into_iter().filter(|(v, _)| !v.is_empty()).collect();
        if pairs.is_empty() {
            return None;
        }
        let finders = pairs
            .iter()
            .map(|(v, _)| Finder::new(v.as_slice()).into_owned())
            .collect();
        let (values, placeholders) = pairs.into_iter().unzip();
        Some(Swap {
            finders,
            values,
            placeholders,
        })
    }

    /// The leftmost match in `text` (the longest of those starting there): (start, which).
    fn next_match(&self, text: &[u8]) -> Option<(usize, usize)> {
        self.finders
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.find(text).map(|at| (at, i)))
            .min_by_key(|&(at, i)| (at, std::cmp::Reverse(self.values[i].len())))
    }

    /// `text` with every value replaced.
    pub fn all(&self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        self.replace_until(text, text.len(), &mut out);
        out
    }

    /// Replaces matches that start before `safe`, appends the text up to where that leaves
    /// off, and returns that point.
    fn replace_until(&self, text: &[u8], safe: usize, out: &mut Vec<u8>) -> usize {
        let mut pos = 0;
        while let Some((at, i)) = self.next_match(&text[pos..]) {
            let start = pos + at;
            if start >= safe {
                break;
            }
            out.extend_from_slice(&text[pos..start]);
            out.extend_from_slice(&self.placeholders[i]);
            pos = start + self.values[i].len();
        }
        let end = pos.max(safe);
        out.extend_from_slice(&text[pos..end]);
        end
    }

    /// The longest end of `text` that is the start of some value (and so may continue in the
    /// next chunk).
    fn held(&self, text: &[u8]) -> usize {
        self.values
            .iter()
            .map(|v| {
                (1..v.len().min(text.len() + 1))
                    .rev()
                    .find(|k| text.ends_with(&v[..*k]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }
}

/// A response body with the values of `swap` replaced as it streams.
pub struct Echo<B> {
    inner: B,
    swap: Swap,
    held: Zeroizing<Vec<u8>>,
    /// Trailers that arrived while text was held: sent after it.
    trailers: Option<Frame<Bytes>>,
    done: bool,
}

impl<B> std::fmt::Debug for Echo<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Echo").finish_non_exhaustive()
    }
}

impl<B> Echo<B> {
    pub fn new(inner: B, swap: Swap) -> Self {
        Echo {
            inner,
            swap,
            held: Zeroizing::new(Vec::new()),
            trailers: None,
            done: false,
        }
    }

    fn flush(&mut self) -> Option<Frame<Bytes>> {
        if self.held.is_empty() {
            return None;
        }
        let out = self.swap.all(&self.held);
        self.held.clear();
        Some(Frame::data(Bytes::from(out)))
    }
}

impl<B> Body for Echo<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                if let Some(frame) = this.flush() {
                    return Poll::Ready(Some(Ok(frame)));
                }
                return Poll::Ready(this.trailers.take().map(Ok));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.done = true,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        this.held.extend_from_slice(&data);
                        let keep = this.swap.held(&this.held);
                        let safe = this.held.len() - keep;
                        let mut out = Vec::with_capacity(this.held.len());
                        let end = this.swap.replace_until(&this.held, safe, &mut out);
                        this.held.drain(..end);
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                        }
                    }
                    Err(trailers) => {
                        this.trailers = Some(trailers);
                        this.done = true;
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.held.is_empty() && self.trailers.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn swap() -> Swap {
        Swap::new(vec![(
            Zeroizing::new(b"sk-real-secret-value".to_vec()),
            Zeroizing::new(b"sk-placeholder-xxxxx".to_vec()),
        )])
        .unwrap()
    }

    /// A body that yields `chunks` one per poll.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(
                self.0
                    .pop_front()
                    .map(|c| Ok(Frame::data(Bytes::from_static(c)))),
            )
        }
    }

    async fn through(chunks: Vec<&'static [u8]>) -> Vec<Vec<u8>> {
        let mut body = Echo::new(Chunks(chunks.into()), swap());
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            out.push(frame.unwrap().into_data().unwrap().to_vec());
        }
        out
    }

    #[tokio::test]
    async fn a_value_split_across_chunks_comes_back_as_its_placeholder() {
        let out = through(vec![b"{\"echo\":\"sk-real-", b"secret-value\"}"]).await;
        assert_eq!(out.concat(), b"{\"echo\":\"sk-placeholder-xxxxx\"}");
        assert_eq!(
            out[0], b"{\"echo\":\"",
            "only the possible start of a value waits"
        );
    }

    #[tokio::test]
    async fn events_that_hold_no_value_pass_chunk_by_chunk() {
        let out = through(vec![
            b"data: one\n\n",
            b"data: two\n\n",
            b"data: sk-real-secret-value\n\n",
        ])
        .await;
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], b"data: one\n\n");
        assert_eq!(out[2], b"data: sk-placeholder-xxxxx\n\n");
    }

    #[tokio::test]
    async fn a_stream_ending_in_a_partial_value_is_flushed_unchanged() {
        let out = through(vec![b"tail sk-real"]).await;
        assert_eq!(out.concat(), b"tail sk-real");
    }
}
