//! Inbox writer: group commit for the durable inbox, supervised by the root.
//!
//! Webhook handlers `call` it with one event each and wait. The first event
//! of a batch arms a short timer; the batch is written in one transaction
//! when the timer fires or the batch is full, and every waiting handler gets
//! its outcome. Events that arrive while a batch is being written queue in
//! the mailbox and form the next batch, so load raises batch size, not the
//! number of commits.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::metrics;
use crate::ports::{Appended, InboxStore, NewInboxEvent, StoreError};

/// Messages of the inbox writer.
#[derive(Debug)]
pub enum InboxWriterMsg {
    /// Store this event; answer once its batch is committed.
    Append(NewInboxEvent, RpcReplyPort<Result<Appended, StoreError>>),
    /// Self-scheduled: write the batch now.
    Flush,
}

/// Arguments of the inbox writer.
#[derive(Clone)]
pub struct InboxWriterArgs {
    /// Where to write.
    pub store: Arc<dyn InboxStore>,
    /// Most events per transaction.
    pub batch_max: usize,
    /// Longest wait for a batch to fill.
    pub batch_delay: std::time::Duration,
}

type Waiting = (NewInboxEvent, RpcReplyPort<Result<Appended, StoreError>>);

/// State: the batch being collected.
pub struct InboxWriterState {
    args: InboxWriterArgs,
    batch: Vec<Waiting>,
    flush_armed: bool,
}

/// The actor.
pub struct InboxWriter;

impl Actor for InboxWriter {
    type Msg = InboxWriterMsg;
    type State = InboxWriterState;
    type Arguments = InboxWriterArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: InboxWriterArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(InboxWriterState {
            batch: Vec::with_capacity(args.batch_max),
            args,
            flush_armed: false,
        })
    }

    /// Writes what is left when the tree drains.
    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        flush(state).await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: InboxWriterMsg,
        state: &mut InboxWriterState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            InboxWriterMsg::Append(event, reply) => {
                state.batch.push((event, reply));
                if state.batch.len() >= state.args.batch_max {
                    flush(state).await;
                } else if !state.flush_armed {
                    state.flush_armed = true;
                    myself.send_after(state.args.batch_delay, || InboxWriterMsg::Flush);
                }
            }
            InboxWriterMsg::Flush => {
                state.flush_armed = false;
                flush(state).await;
            }
        }
        Ok(())
    }
}

async fn flush(state: &mut InboxWriterState) {
    if state.batch.is_empty() {
        return;
    }
    let batch = std::mem::take(&mut state.batch);
    let events: Vec<NewInboxEvent> = batch.iter().map(|(event, _)| event.clone()).collect();
    ::metrics::histogram!(metrics::INBOX_BATCH_SIZE).record(events.len() as f64);
    let outcomes = state.args.store.append(&events).await;
    if let Err(error) = &outcomes {
        tracing::error!(%error, events = events.len(), "inbox batch not stored; webhooks answer 503 and WAHA retries");
    }
    for (index, (_, reply)) in batch.into_iter().enumerate() {
        let outcome = match &outcomes {
            Ok(outcomes) => outcomes.get(index).copied().ok_or_else(|| {
                StoreError::Backend("inbox append returned too few outcomes".to_owned())
            }),
            Err(error) => Err(error.clone()),
        };
        // A handler that timed out no longer listens; WAHA will retry it and
        // the dedupe key makes that retry a duplicate.
        let _ = reply.send(outcome);
    }
}
