"""Run a command, echo its output with each line prefixed by the seconds since the start, and keep that log.

    python scripts/timed.py LOG COMMAND [ARGS...]

The last line (printed and logged) is JSON: the exit status, the wall time and the peak RSS of the largest
process the command ran (GNU time's "maximum resident set size", for machines without /usr/bin/time).
The Performance page reads the GPU full-size runs' logs written this way.
"""
import json, resource, subprocess, sys, time

def fail(msg): print(msg, file=sys.stderr); sys.exit(2)
if len(sys.argv) < 3: fail("usage: python scripts/timed.py LOG COMMAND [ARGS...]")
try: t0, log = time.time(), open(sys.argv[1], 'w')
except OSError as e: fail(f"{sys.argv[1]}: {e.strerror}")
try: p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
except OSError as e: fail(f"{sys.argv[2]}: {e.strerror}")
try:
    for line in p.stdout:
        s = f"{time.time() - t0:8.2f} {line}"; log.write(s); log.flush(); print(s, end='', flush=True)
except KeyboardInterrupt: pass # the command got Ctrl-C too: let it finish its own way (a run writes its checkpoint)
rc = p.wait()
end = json.dumps(dict(rc=rc, wall_s=round(time.time() - t0, 2), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)))
log.write(end + '\n'); print(end, flush=True)
sys.exit(rc)
