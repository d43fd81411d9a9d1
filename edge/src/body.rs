//! Reading a body as a stream with a cap, so no client and no upstream can make the worker hold
//! more than the cap in memory, whether it declared a length or sent chunks.

use futures_util::StreamExt;
use worker::ByteStream;

/// Reads `stream` until its end, or until more than `limit` bytes came: then `Err(())` and the
/// rest is never read.
pub(crate) async fn read_capped(
    mut stream: ByteStream,
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
