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
    let outcomes = match state.args.store.append(&events).await {
        Ok(outcomes) if outcomes.len() == events.len() => outcomes.into_iter().map(Ok).collect(),
        Ok(_) => vec![
            Err(StoreError::Backend(
                "inbox append returned too few outcomes".to_owned()
            ));
            events.len()
        ],
        Err(error) if events.len() > 1 => {
            tracing::warn!(%error, events = events.len(), "inbox batch failed; storing its events one by one");
            one_by_one(state.args.store.as_ref(), &events).await
        }
        Err(error) => {
            tracing::error!(%error, "inbox event not stored; its webhook answers 503 and WAHA retries");
            vec![Err(error)]
        }
    };
    for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
        // A handler that timed out no longer listens; WAHA will retry it and
        // the dedupe key makes that retry a duplicate.
        let _ = reply.send(outcome);
    }
}

/// Stores each event of a failed batch in a transaction of its own, so one
/// event the database refuses fails only its own webhook, never the other
/// tenants' events that shared its batch.
async fn one_by_one(
    store: &dyn InboxStore,
    events: &[NewInboxEvent],
) -> Vec<Result<Appended, StoreError>> {
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let outcome = match store.append(std::slice::from_ref(event)).await {
            Ok(stored) => stored
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::Backend("inbox append returned no outcome".to_owned())),
            Err(error) => {
                tracing::error!(%error, tenant = %event.tenant_id, "inbox event not stored; its webhook answers 503 and WAHA retries");
                Err(error)
            }
        };
        outcomes.push(outcome);
    }
    outcomes
}
