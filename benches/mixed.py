#!/usr/bin/env python3
"""Mixed load: Weave and the reference peer side by side, in one run, on the same seeded data.

Usage (from the project root, after `cargo build --release`, with ../shared/bench set up):
    python3 benches/mixed.py [--rounds 2] [-d 8] [-c 32] [--writes 5] [--signed-in 30]

Every request is drawn at random (the same draw for both servers) from this mix:
- 30 % events pages of 20, at one of the first 10 cursors (`events(first: 20, after:)`);
- 20 % a single event with its sessions, hosts and the viewer's registration;
- 20 % a thread's newest 20 posts, of one of 20 threads;
- 15 % a threads page of 20;
- 15 % a member search (`members(search:, first: 20)`) for one of 20 name prefixes;
and, instead of a read, `--writes` % replies (each by a member of the thread's group, to one of
the 20 threads the reads ask for, so that they change what those reads see). `--signed-in` % of
the reads carry one of 20 members' tokens; the rest are anonymous. Before the load every request
is asked once of each server and must answer data without errors.

Prints, per round and server, requests/s, p50 and p99 (wrk's, over every request), the non-2xx
answers, then the medians and the ratio weave/peer, and memory. Uses ../shared/bench (compare.py's
servers, seed.py's data) from `WEAVE_BENCH_SHARED` or ../shared/bench.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
SHARED = os.environ.get("WEAVE_BENCH_SHARED", os.path.join(ROOT, "..", "shared", "bench"))
sys.path.insert(0, SHARED)
os.environ.setdefault("WEAVE_CHECKOUT", ROOT)
import compare  # noqa: E402
from run import check_once, local_only, ms  # noqa: E402
from seed import PASSWORD, seed  # noqa: E402
from weave import Client  # noqa: E402

EVENTS_PAGE = """query($after: String) { events(first: 20, after: $after) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { node { id title startsAt endsAt status location { mode city } group { handle name }
    hosts { handle name } capacity seatsTaken seatsLeft soldOut url } } } }"""
EVENT = """query($id: ID!) { event(id: $id) { id title summary timezone startsAt endsAt status
  sessions { startsAt endsAt title } location { mode venue city } group { handle name }
  organizer { handle displayName } hosts { handle name } capacity seatsTaken seatsLeft waitlistCount
  myRegistration { status } url } }"""
THREAD_POSTS = """query($id: ID!) { thread(id: $id) { id title postCount
  posts(first: 20) { totalCount edges { node { id body createdAt author { handle displayName } } } } } }"""
THREADS_PAGE = """query { threads(first: 20) { totalCount
  edges { node { id title kind postCount url author { handle displayName } group { handle name } } } } }"""
MEMBER_SEARCH = """query($q: String) { members(search: $q, first: 20) { totalCount
  edges { node { id handle displayName } } } }"""
REPLY = """mutation($i: ReplyInput!) { reply(input: $i) { id } }"""
MIX = [("events_page", 30), ("event", 20), ("thread_posts", 20), ("threads_page", 15), ("member_search", 15)]

LUA = """local reads = {%s}
local read_tokens = {%s}
local writes = {%s}
local write_tokens = {%s}
local n = 0
function setup(thread)
  thread:set("offset", math.random(1, 100000))
end
function init(args)
  n = tonumber(offset) or 0
end
function request()
  n = n + 1
  local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
  local i = (n %% #reads) + 1
  local w = writes[i]
  if w ~= "" then
    headers["Authorization"] = "Bearer " .. write_tokens[i]
    return wrk.format("POST", "/graphql", headers, w)
  end
  if read_tokens[i] ~= "" then
    headers["Authorization"] = "Bearer " .. read_tokens[i]
  end
  return wrk.format("POST", "/graphql", headers, reads[i])
end
"""


def lua_string(s):
    return "[==[" + s + "]==]"


def login(server, i):
    return Client(server.url).gql("mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                                  {"i": {"usernameOrEmail": f"member{i:04d}", "password": PASSWORD}})["login"]["accessToken"]


def collect(server):
    """What the mix asks for on this server: 10 cursors, 20 events, 20 threads (and their groups),
    and 20 members' tokens, member 20 + g belonging to group g."""
    c = Client(server.url)
    cursors, after = [None], None
    for _ in range(9):
        page = c.gql("query($a: String) { events(first: 20, after: $a) { pageInfo { endCursor } } }", {"a": after})
        after = page["events"]["pageInfo"]["endCursor"]
        cursors.append(after)
    events = [e["node"]["id"] for e in c.gql("{ events(first: 20) { edges { node { id } } } }")["events"]["edges"]]
    threads = c.gql("{ threads(first: 20) { edges { node { id group { handle } } } } }")["threads"]["edges"]
    tokens = [login(server, 20 + g) for g in range(20)]
    return {"cursors": cursors, "events": events, "tokens": tokens,
            "threads": [(t["node"]["id"], int(t["node"]["group"]["handle"][-2:])) for t in threads]}


def draw(count, writes, signed_in, seed_value=7):
    """The same sequence of (kind, index, signed-in token index or None) for every server."""
    rnd = random.Random(seed_value)
    kinds = [k for k, w in MIX for _ in range(w)]
    out = []
    for _ in range(count):
        if rnd.random() * 100 < writes:
            out.append(("reply", rnd.randrange(20), None))
        else:
            out.append((rnd.choice(kinds), rnd.randrange(20), rnd.randrange(20) if rnd.random() * 100 < signed_in else None))
    return out


def body(kind, i, ids, n):
    if kind == "events_page":
        return EVENTS_PAGE, {"after": ids["cursors"][i % 10]}
    if kind == "event":
        return EVENT, {"id": ids["events"][i]}
    if kind == "thread_posts":
        return THREAD_POSTS, {"id": ids["threads"][i][0]}
    if kind == "threads_page":
        return THREADS_PAGE, {}
    if kind == "member_search":
        return MEMBER_SEARCH, {"q": f"member{i % 20:03d}"}
    return REPLY, {"i": {"threadId": ids["threads"][i][0], "body": f"Mixed load reply {n}: what we tried."}}


def script(sequence, ids):
    reads, read_tokens, writes, write_tokens = [], [], [], []
    for n, (kind, i, t) in enumerate(sequence):
        query, variables = body(kind, i, ids, n)
        text = json.dumps({"query": query, "variables": variables})
        if kind == "reply":
            group = ids["threads"][i][1]
            reads.append('""'), read_tokens.append('""')
            writes.append(lua_string(text)), write_tokens.append(lua_string(ids["tokens"][group % 20]))
        else:
            reads.append(lua_string(text)), read_tokens.append(lua_string(ids["tokens"][t]) if t is not None else '""')
            writes.append('""'), write_tokens.append('""')
    return LUA % (", ".join(reads), ", ".join(read_tokens), ", ".join(writes), ", ".join(write_tokens))


def check(server, sequence, ids):
    """Each distinct request once (a reply once per thread): data, no errors."""
    seen = set()
    for n, (kind, i, t) in enumerate(sequence):
        if (kind, i) in seen:
            continue
        seen.add((kind, i))
        query, variables = body(kind, i, ids, n)
        token = ids["tokens"][ids["threads"][i][1] % 20] if kind == "reply" else (ids["tokens"][t] if t is not None else None)
        check_once(server.url, json.dumps({"query": query, "variables": variables}), token)


def load(server, lua, connections, seconds):
    local_only(server.url)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    try:
        r = subprocess.run(["wrk", "--latency", "--timeout", "10s", "-c", str(connections), "-t", "2",
                            "-d", f"{seconds}s", "-s", f.name, server.url],
                           capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(f.name)
    import re
    out = r.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if r.returncode != 0 or not rps:
        raise RuntimeError(f"wrk failed ({r.returncode}): {(r.stderr or out)[-300:]}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(rps.group(1)), "p50": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)), "non2xx": int(bad.group(1)) if bad else 0}


def main():
    p = argparse.ArgumentParser(description="Weave vs the reference peer under a mixed load.")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("-d", type=int, default=8, help="seconds per load")
    p.add_argument("-c", type=int, default=32, help="connections")
    p.add_argument("--writes", type=float, default=5, help="percent of requests that are replies")
    p.add_argument("--signed-in", type=float, default=30, help="percent of reads that carry a token")
    a = p.parse_args()
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="weave-mixed-")
    servers = []
    sequence = draw(2000, a.writes, a.signed_in)
    try:
        servers.append(compare.start_peer(tmp))
        w = compare.start_weave()
        if not w:
            sys.exit("weave is not built: cargo build --release first")
        servers.append(w)
        scripts = {}
        for s in servers:
            s.ids = seed(s.url)
            ids = s.mix_ids = collect(s)
            check(s, sequence, ids)
            scripts[s.name] = script(sequence, ids)
            s.idle = compare.memory_mb(s.pid)
            print(f"seeded and checked {s.name}", flush=True)
        results = {}
        for r in range(a.rounds):
            for s in servers:
                res = load(s, scripts[s.name], a.c, a.d)
                results.setdefault(s.name, []).append(res)
                print(f"  round {r + 1} {s.name:6} {res['rps']:8.0f} req/s  p50 {res['p50']:7.2f} ms  p99 {res['p99']:7.2f} ms"
                      f"  non-2xx {res['non2xx']}", flush=True)
        for s in servers:
            s.loaded = compare.memory_mb(s.pid)
            # wrk counts HTTP statuses only: every request must still answer data after the load.
            check(s, sequence, s.mix_ids)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {n: {m: statistics.median(x[m] for x in v) for m in ("rps", "p50", "p99", "non2xx")} for n, v in results.items()}
    print(f"\nmixed load: {a.writes:g} % replies, {a.signed_in:g} % of reads signed in, {a.c} connections, "
          f"median of {a.rounds} rounds of {a.d} s")
    for n, m in med.items():
        print(f"{n:6} {m['rps']:8.0f} req/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms  non-2xx {m['non2xx']:.0f}")
    if "weave" in med and "peer" in med:
        print(f"ratio weave/peer {med['weave']['rps'] / med['peer']['rps']:.2f}x")
    print("memory MB (VmRSS idle after seeding / after load, peak VmHWM): " + "; ".join(
        f"{s.name} {s.idle[0]:.0f} / {s.loaded[0]:.0f}, peak {s.loaded[1]:.0f}" for s in servers if s.loaded))
    print(f"took {time.monotonic() - started:.0f} s on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
