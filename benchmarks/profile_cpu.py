#!/usr/bin/env python3
"""Where a process spends CPU, from a dotnet-trace thread-time trace converted to speedscope.

dotnet-trace's sampled thread-time profile samples every thread, blocked or not, so its topN is
dominated by threads waiting (thread pool semaphores, epoll, timers). This script drops the time whose
innermost frame is a wait and reports the rest: exclusive and inclusive shares of on-CPU time, by frame.

    dotnet-trace collect --profile dotnet-sampled-thread-time -o T.nettrace -- dotnet SecureAoai.Benchmarks.dll profile-loop dial
    dotnet-trace convert --format Speedscope -o T T.nettrace
    python3 benchmarks/profile_cpu.py T.speedscope.json [--top 30] [--match SecureAoai]

--match keeps only the inclusive rows whose name contains the text (the exclusive table is always whole).
"""
import argparse
import collections
import json
import re
import sys

# Innermost frames that mean "this thread is not running": waits, sleeps and the event loops' blocking calls.
WAITING = re.compile(
    r"WaitNative|WaitOneNoCheck|WaitOneCore|LowLevelSpinWaiter\.Wait|LowLevelLifoSemaphore|Monitor\.Wait\b|"
    r"Thread\.Sleep|SleepInternal|WaitForSocketEvents|SocketAsyncEngine\.EventLoop|TimerQueue\.TimerThread|"
    r"GateThread|WaitHandle\.Wait|ManualResetEventSlim\.Wait|SpinThenBlockingWait|Missing Symbol|"
    r"Interop\+Sys\.(Read|WaitForSocketEvents|Poll)|WorkerThreadStart\(\)$")


UNNAMED = "?!?"

# The converter closes every sample's stack with one of these; the real innermost frame is the one above.
PSEUDO = {"CPU_TIME", "UNMANAGED_CODE_TIME"}


def innermost(stack, names):
    """The innermost real frame's name, or None for an empty stack. Native code the trace could not
    name ("?!?": system calls, OpenSSL) is named after the managed frame that called it, so a socket
    send is told from the event loop's epoll wait."""
    real = [names[i] for i in stack if names[i] not in PSEUDO]
    if not real:
        return None
    if real[-1] != UNNAMED:
        return real[-1]
    callers = [n for n in real if n != UNNAMED]
    return "native code under " + callers[-1] if callers else UNNAMED


def on_cpu(path):
    """(exclusive, inclusive, total): on-CPU time per frame name, in the trace's unit."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    names = [frame["name"] for frame in data["shared"]["frames"]]
    exclusive = collections.Counter()
    inclusive = collections.Counter()
    total = 0.0
    for profile in data["profiles"]:
        stack = []
        last = None
        for event in profile["events"]:
            at = event["at"]
            leaf = innermost(stack, names)
            if leaf is not None and last is not None and at > last and not WAITING.search(leaf):
                span = at - last
                total += span
                exclusive[leaf] += span
                for name in {names[i] for i in stack if names[i] not in PSEUDO}:
                    inclusive[name] += span
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
    return exclusive, inclusive, total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", help="a .speedscope.json from dotnet-trace convert")
    parser.add_argument("--top", type=int, default=30, help="rows per table (default 30)")
    parser.add_argument("--match", help="keep only inclusive rows whose frame name contains this text")
    args = parser.parse_args()
    exclusive, inclusive, total = on_cpu(args.trace)
    if total == 0:
        sys.exit(f"{args.trace}: no on-CPU time found (is it a thread-time trace?)")
    print(f"on-CPU time: {total:.0f} ms over all threads")
    print("\nexclusive (where the CPU is):")
    for name, span in exclusive.most_common(args.top):
        print(f"  {100 * span / total:5.1f}%  {name[:110]}")
    print("\ninclusive (what it is for):")
    rows = [(n, s) for n, s in inclusive.most_common() if not args.match or args.match in n]
    for name, span in rows[: args.top]:
        print(f"  {100 * span / total:5.1f}%  {name[:110]}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
