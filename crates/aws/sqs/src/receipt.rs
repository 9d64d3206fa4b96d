//! Receipt handles: opaque and tamper-proof. A handle seals the queue, the message row and the
//! receive it came from (the message's receive count, which every receive raises), so a handle
//! from an earlier receive is recognised as stale and one made up or altered does not open.

use aws_core::env::Env;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The longest handle accepted before trying to open it.
const MAX_HANDLE: usize = 1024;
/// Binds sealed handles to this use of the key.
const AAD: &str = "sqs:receipt-handle";

/// What a receipt handle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Receipt {
    pub queue_id: i64,
    pub message_row: i64,
    pub receive_count: i64,
}

/// Issues the handle for a receive.
pub(crate) fn issue(env: &Env, receipt: Receipt) -> String {
    let mut plain = [0u8; 24];
    plain[..8].copy_from_slice(&receipt.queue_id.to_be_bytes());
    plain[8..16].copy_from_slice(&receipt.message_row.to_be_bytes());
    plain[16..].copy_from_slice(&receipt.receive_count.to_be_bytes());
    STANDARD.encode(env.seal(&plain, AAD))
}

/// Opens a handle issued by [`issue`]; `None` for anything else.
pub(crate) fn open(env: &Env, handle: &str) -> Option<Receipt> {
    if handle.len() > MAX_HANDLE {
        return None;
    }
    let sealed = STANDARD.decode(handle).ok()?;
    let plain = env.open(&sealed, AAD).ok()?;
    let field = |range: std::ops::Range<usize>| Some(i64::from_be_bytes(plain.get(range)?.try_into().ok()?));
    (plain.len() == 24).then_some(())?;
    Some(Receipt { queue_id: field(0..8)?, message_row: field(8..16)?, receive_count: field(16..24)? })
}
