//! Cost of talking to an actor: a ractor `call` round trip (message in,
//! reply out) and a `cast`, against the baseline of a plain tokio task
//! answering over a oneshot channel, measured in the same run.
//!
//! Run: `cargo bench --bench actor_round_trip`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::{mpsc, oneshot};

/// Answers every `Ping` with the number plus one.
struct Echo;

enum EchoMsg {
    Ping(u64, RpcReplyPort<u64>),
    Note(u64),
}

impl Actor for Echo {
    type Msg = EchoMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<EchoMsg>, _: ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<EchoMsg>,
        message: EchoMsg,
        seen: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            EchoMsg::Ping(n, reply) => {
                let _ = reply.send(n + 1);
            }
            EchoMsg::Note(n) => *seen += n,
        }
        Ok(())
    }
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let (actor, _) = runtime
        .block_on(Actor::spawn(None, Echo, ()))
        .expect("spawn");
    let (requests, mut inbox) = mpsc::unbounded_channel::<(u64, oneshot::Sender<u64>)>();
    runtime.spawn(async move {
        while let Some((n, reply)) = inbox.recv().await {
            let _ = reply.send(n + 1);
        }
    });

    let mut group = c.benchmark_group("round_trip");
    group.bench_function("baseline: tokio task + oneshot", |b| {
        b.to_async(&runtime).iter(|| async {
            let (reply, answer) = oneshot::channel();
            requests.send((black_box(1), reply)).expect("task alive");
            black_box(answer.await.expect("answered"))
        })
    });
    group.bench_function("ractor call", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = ractor::call!(actor, EchoMsg::Ping, black_box(1)).expect("answered");
            black_box(answer)
        })
    });
    group.bench_function("ractor cast", |b| {
        b.iter(|| {
            actor
                .cast(EchoMsg::Note(black_box(1)))
                .expect("actor alive")
        })
    });
    group.finish();
    actor.stop(None);
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
