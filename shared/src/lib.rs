//! Checkout Edge's pure core: everything here is plain functions over data, compiled natively for
//! tests and to wasm32 for the edge and the widget. It does no IO and reads no clock: time and
//! randomness come in as arguments.

pub mod api;
pub mod backoffice;
pub mod card;
pub mod china_time;
pub mod customer;
pub mod ezr;
pub mod flex;
pub mod gateway;
pub mod idempotency;
pub mod json;
pub mod jwt;
pub mod live;
pub mod mask;
pub mod money;
#[cfg(feature = "qr")]
pub mod page;
pub mod payzero;
#[cfg(feature = "qr")]
pub mod qr;
pub mod session;
pub mod shard;
pub mod shouqianba;
pub mod sign;
pub mod sms;
pub mod terminal;
pub mod undelivered;

pub use money::Fen;
