//! The relay's tests that need its insides (the store, the exchange, the push
//! providers, the webhook signer, the route table): a relay over an in-memory store
//! driven through its router (`common::TestApp`), the managed-mode and webhook
//! features (`features_support`), and one file per area. They live in the crate so
//! that its modules stay `pub(crate)`; the tests in `relay/tests/` run the binary.

mod common;
mod features_support;

mod connections;
mod flow;
mod long_polls;
mod malformed;
mod managed;
mod ops;
mod push_e2e;
mod shutdown;
mod store;
mod tls;
mod webhook_outbox;
mod webhooks;
mod webpush_e2e;
