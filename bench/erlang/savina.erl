%% The Savina micro benchmarks on Erlang/OTP, the baseline beside bench/src/savina (same protocols, same
%% parameters), plus the one-way throughput between two schedulers beside joerl's cross-shard figure.
%% Timed inside the VM (no start-up): one warm-up run, then Runs measured ones, printed in ms.
%%
%%   erl +S 1 -noshell -pa DIR -run savina main Bench Param... Runs
%%   -> "RESULT t1 t2 ..." (ms) and, for oneway, "SCHEDULERS source sink" (where the two processes ran)
-module(savina).
-export([main/1]).

main([Bench | Rest]) ->
    try
        Nums = [list_to_integer(A) || A <- Rest],
        {Args, [Runs]} = lists:split(length(Nums) - 1, Nums),
        Run = setup(list_to_atom(Bench), Args),
        _ = Run(),
        Times = [Run() || _ <- lists:seq(1, Runs)],
        io:format("RESULT~s~n", [[io_lib:format(" ~.4f", [T]) || T <- Times]]),
        report(Bench),
        halt(0)
    catch
        C:R:St ->
            io:format("ERROR ~p:~p ~p~n", [C, R, St]),
            halt(1)
    end.

report("oneway") ->
    receive {schedulers, A, B} -> io:format("SCHEDULERS ~p ~p~n", [A, B]) after 1000 -> ok end;
report(_) -> ok.

%% Milliseconds that F takes.
timed(F) ->
    T0 = erlang:monotonic_time(microsecond),
    F(),
    (erlang:monotonic_time(microsecond) - T0) / 1000.

wait_acks(0) -> ok;
wait_acks(N) -> receive ack -> wait_acks(N - 1) after 60000 -> error(setup_not_acknowledged) end.

expect(Msg) -> receive Msg -> ok after 300000 -> error({no_result, Msg}) end.

send_n(_, 0) -> ok;
send_n(P, N) -> P ! 1, send_n(P, N - 1).

%% --- set-up (untimed) of each benchmark; returns the timed run -------------------------------

setup(pingpong, [N]) ->
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> ping_idle(Pong) end),
    fun() -> timed(fun() -> Ping ! {start, N, self()}, expect(done) end) end;
setup(counting, [N]) ->
    Counter = spawn(fun() -> counter(0) end),
    Producer = spawn(fun producer/0),
    fun() -> timed(fun() -> Producer ! {start, N, Counter, self()}, expect({done, N}) end) end;
setup(threadring, [Actors, Passes]) ->
    Self = self(),
    Nodes = [spawn(fun ring_wait/0) || _ <- lists:seq(1, Actors)],
    [Node ! {next, Next, Self} || {Node, Next} <- lists:zip(Nodes, tl(Nodes) ++ [hd(Nodes)])],
    wait_acks(Actors),
    fun() -> timed(fun() -> hd(Nodes) ! Passes, expect(done) end) end;
setup(chameneos, [Count, Meetings]) ->
    Mall = spawn(fun mall_idle/0),
    Creatures = [spawn(fun() -> chameneo(I rem 3, none, 0) end) || I <- lists:seq(0, Count - 1)],
    fun() -> timed(fun() -> Mall ! {start, Meetings, Creatures, self()}, expect({done, 2 * Meetings}) end) end;
setup(big, [W, N]) ->
    Self = self(),
    Sink = spawn(fun() -> sink(0, 0, none) end),
    Nodes = [spawn(fun() -> big(none, 0, none, 1) end) || _ <- lists:seq(1, W)],
    Peers = list_to_tuple(Nodes),
    fun() ->
        Sink ! {expect, W, Self, Self},
        [Node ! {peers, Peers, N, Sink, I, Self} || {I, Node} <- lists:zip(lists:seq(1, W), Nodes)],
        wait_acks(W + 1),
        timed(fun() -> [Node ! go || Node <- Nodes], expect({done, W}) end)
    end;
setup(fjthroughput, [A, N]) ->
    Self = self(),
    Workers = [spawn(fun() -> fj_worker(0, none, 0.0) end) || _ <- lists:seq(1, A)],
    Sink = spawn(fun() -> sink(0, 0, none) end),
    Source = spawn(fun fj_source/0),
    fun() ->
        Sink ! {expect, A, Self, Self},
        [Wk ! {n, N, Sink, Self} || Wk <- Workers],
        wait_acks(A + 1),
        timed(fun() -> Source ! {workers, Workers, N}, expect({done, A}) end)
    end;
setup(fjcreate, [N]) ->
    Creator = spawn(fun fj_creator/0),
    fun() -> timed(fun() -> Creator ! {n, N, self()}, expect({done, N}) end) end;
setup(fib, [N]) ->
    Want = fib_value(N),
    fun() -> timed(fun() -> Self = self(), spawn(fun() -> fib(N, Self) end), expect(Want) end) end;
setup(oneway, [N, SchedA, SchedB]) ->
    Self = self(),
    Sink = spawn_opt(fun() -> ow_sink(0, -1, none) end, [{scheduler, SchedB}]),
    Source = spawn_opt(fun() -> ow_source(none, 0, 0) end, [{scheduler, SchedA}]),
    Sink ! {where, Self},
    Source ! {where, Self},
    A = receive {scheduler, Source, X} -> X end,
    B = receive {scheduler, Sink, Y} -> Y end,
    self() ! {schedulers, A, B},
    fun() -> Sink ! {expect, N, Self}, timed(fun() -> Source ! {go, Sink, N}, expect(sink_done) end) end.

%% --- PingPong: N round trips; ping <- {start, N, Report}, then 1 one way and 2 back ---------------
ping_idle(Pong) ->
    receive {start, N, Report} -> Pong ! {peer, self()}, Pong ! 1, ping(Pong, N, Report) end.
ping(Pong, Left, Report) ->
    receive
        2 when Left =:= 1 -> Report ! done, ping_idle(Pong);
        2 -> Pong ! 1, ping(Pong, Left - 1, Report)
    end.
pong() -> receive {peer, P} -> pong(P) end.
pong(P) ->
    receive
        1 -> P ! 2, pong(P);
        {peer, Q} -> pong(Q)
    end.

%% --- Counting: N increments, then the count asked for ---------------------------------------
counter(C) ->
    receive
        1 -> counter(C + 1);
        {get, From} -> From ! {count, C}, counter(0)
    end.
producer() ->
    receive {start, N, Counter, Report} -> send_n(Counter, N), Counter ! {get, self()}, receive {count, C} -> Report ! {done, C} end end,
    producer().

%% --- ThreadRing: a token passed N times around a ring ---------------------------------------
ring_wait() -> receive {next, Next, Report} -> Report ! ack, ring(Next, Report) end.
ring(Next, Report) ->
    receive
        0 -> Report ! done, ring(Next, Report);
        N -> Next ! N - 1, ring(Next, Report)
    end.

%% --- Chameneos: creatures meet through a mall, changing colour ------------------------------
mall_idle() ->
    receive {start, N, Creatures, Report} ->
        Self = self(),
        [C ! {start, Self} || C <- Creatures],
        mall(N, none, length(Creatures), 0, 0, Report)
    end.
mall(Left, Waiting, Count, Faded, Meetings, Report) ->
    receive
        {meet, From, _} when Left =:= 0 -> From ! exit, mall(Left, Waiting, Count, Faded, Meetings, Report);
        {meet, _, _} = M when Waiting =:= none -> mall(Left, M, Count, Faded, Meetings, Report);
        {meet, _, _} = M -> {meet, W, _} = Waiting, W ! M, mall(Left - 1, none, Count, Faded, Meetings, Report);
        {faded, K} when Faded + 1 =:= Count -> Report ! {done, Meetings + K}, mall_idle();
        {faded, K} -> mall(Left, Waiting, Count, Faded + 1, Meetings + K, Report)
    end.
chameneo(Color, Mall, Meetings) ->
    receive
        {meet, From, Other} ->
            C = complement(Color, Other),
            From ! {change, C},
            Mall ! {meet, self(), C},
            chameneo(C, Mall, Meetings + 1);
        {change, C} -> Mall ! {meet, self(), C}, chameneo(C, Mall, Meetings + 1);
        exit -> Mall ! {faded, Meetings}, chameneo(Color, Mall, 0);
        {start, M} -> M ! {meet, self(), Color}, chameneo(Color, M, Meetings)
    end.
complement(A, A) -> A;
complement(A, B) -> 3 - A - B.

%% --- Big: each actor pings random peers N times, waiting for each pong ----------------------
big(Peers, Left, Sink, Seed) ->
    receive
        0 when Left =:= 1 -> Sink ! 1, big(Peers, 0, Sink, Seed);
        0 -> S = xorshift(Seed), element(S rem tuple_size(Peers) + 1, Peers) ! {ping, self()}, big(Peers, Left - 1, Sink, S);
        go -> S = xorshift(Seed), element(S rem tuple_size(Peers) + 1, Peers) ! {ping, self()}, big(Peers, Left, Sink, S);
        {ping, From} -> From ! 0, big(Peers, Left, Sink, Seed);
        {peers, P, N, Snk, Sd, Ack} -> Ack ! ack, big(P, N, Snk, Sd)
    end.
%% xorshift32, as pickPeer in micro.actor.ts: the same peers in the same order.
xorshift(X0) ->
    X1 = (X0 bxor (X0 bsl 13)) band 16#FFFFFFFF,
    X2 = X1 bxor (X1 bsr 17),
    (X2 bxor (X2 bsl 5)) band 16#FFFFFFFF.

%% Counts Expect ones, then reports (Big, Fork-join throughput).
sink(Got, Expect, Report) ->
    receive
        1 when Got + 1 =:= Expect -> Report ! {done, Expect}, sink(Expect, Expect, Report);
        1 -> sink(Got + 1, Expect, Report);
        {expect, E, R, Ack} -> Ack ! ack, sink(0, E, R)
    end.

%% --- Fork-join throughput: N messages to each of A actors, a little arithmetic each ----------
fj_work(T) -> S = math:sin(T), S * S.
fj_source() -> receive {workers, Ws, N} -> fj_rounds(Ws, N) end, fj_source().
fj_rounds(_, 0) -> ok;
fj_rounds(Ws, N) -> fj_send(Ws), fj_rounds(Ws, N - 1).
fj_send([]) -> ok;
fj_send([W | Ws]) -> W ! 37.2, fj_send(Ws).
fj_worker(Left, Sink, Acc) ->
    receive
        X when is_float(X) ->
            A = Acc + fj_work(X),
            if Left =:= 1 -> Sink ! 1; true -> ok end,
            fj_worker(Left - 1, Sink, A);
        {n, N, S, Ack} -> Ack ! ack, fj_worker(N, S, Acc)
    end.

%% --- Fork-join create: N actors created, each handles one message and stops -----------------
fj_creator() ->
    receive {n, N, Report} -> Self = self(), fj_spawn(N, Self), fj_count(0, N), Report ! {done, N} end,
    fj_creator().
fj_spawn(0, _) -> ok;
fj_spawn(K, Sink) -> spawn(fun() -> fj_child(Sink) end), fj_spawn(K - 1, Sink).
fj_child(Sink) -> self() ! 37.2, receive X -> _ = fj_work(X), Sink ! 1 end.
fj_count(N, N) -> ok;
fj_count(G, N) -> receive 1 -> fj_count(G + 1, N) end.

%% --- Fibonacci: fib(N) by a tree of processes, each spawning two children -------------------
fib(N, Parent) when N =< 2 -> Parent ! 1;
fib(N, Parent) ->
    Self = self(),
    spawn(fun() -> fib(N - 1, Self) end),
    spawn(fun() -> fib(N - 2, Self) end),
    receive A -> receive B -> Parent ! A + B end end.
fib_value(N) when N =< 2 -> 1;
fib_value(N) -> fib_value(N - 1) + fib_value(N - 2).

%% --- One-way: a source sends N small maps to a sink on another scheduler, 1000 per turn -------
ow_source(To, Left, Seq) ->
    receive
        {where, R} -> R ! {scheduler, self(), erlang:system_info(scheduler_id)}, ow_source(To, Left, Seq);
        {go, T, N} -> ow_chunk(T, N, Seq);
        more -> ow_chunk(To, Left, Seq)
    end.
ow_chunk(To, Left, Seq) ->
    K = min(1000, Left),
    ow_send(To, K, Seq),
    if Left > K -> self() ! more; true -> ok end,
    ow_source(To, Left - K, Seq + K).
ow_send(_, 0, _) -> ok;
ow_send(To, K, Seq) -> To ! #{kind => tick, seq => Seq, payload => <<"abcdefgh">>}, ow_send(To, K - 1, Seq + 1).
ow_sink(Count, Target, Report) ->
    receive
        #{kind := tick} when Count + 1 =:= Target -> Report ! sink_done, ow_sink(0, -1, Report);
        #{kind := tick} -> ow_sink(Count + 1, Target, Report);
        {expect, N, R} -> ow_sink(0, N, R);
        {where, R} -> R ! {scheduler, self(), erlang:system_info(scheduler_id)}, ow_sink(Count, Target, Report)
    end.
