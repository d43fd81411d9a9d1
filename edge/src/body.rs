//! Reading a body as a stream with a cap, so no client and no upstream can make the worker hold
//! more than the cap in memory, whether it declared a length or sent chunks.

use futures_util::StreamExt;
use worker::ByteStream;

/// Reads `stream` until its end, or until more than `limit` bytes came: then `Err(())` and the
/// rest is left unread.
pub(crate) async fn read_capped(
    stream: &mut ByteStream,
    limit: usize,
) -> Result<Result<Vec<u8>, ()>, worker::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(Err(()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}

/// Reads and drops what is left of `stream`, at most `up_to` bytes, holding none of it.
///
/// Answering a client before its upload ended makes the runtime cut the connection, and the
/// client may then see a reset instead of the answer (workerd under `wrangler dev` turns it into
/// a 500 "Network connection lost"). Servers drain a bounded rest for that reason (Go's
/// `net/http` drains 256 KiB); past the bound the client is abusive and the cut is deserved.
pub(crate) async fn discard(stream: &mut ByteStream, up_to: usize) {
    let mut read = 0;
    while read <= up_to {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len(),
            Some(Err(_)) | None => return,
        }
    }
}
