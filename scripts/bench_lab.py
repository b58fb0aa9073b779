#!/usr/bin/env python3
"""Benchmark of the web lab as a person uses it (not a test: it prints figures).

A run started and watched in headless Chromium against the same settings trained by
`gradlab train`, plain and recorded (`--record`: probed every step, as the lab's runs are), in one
session on one machine. Also the live view's WebSocket messages per second as the browser received
them, and the bytes of the lab's first page load.

  swift build -c release && swift build -c release --product gradlab-server
  python3 scripts/bench_lab.py [--steps 3000] [--repeat 3] [--json]

Needs selenium (PyPI) and Debian's chromium and chromium-driver.
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request

CONFIG = {"data": "digits", "depth": 20, "width": 128, "activation": "relu", "init": "he-normal",
          "optimizer": "sgd", "lr": 0.02, "batch": 64, "seed": 0}

# Counts every WebSocket message the page receives, before the page's own code runs, with the
# server's send time `t` (arrival times bunch up when the network or the page stalls).
COUNTER = """
window.__wsTimes = [];
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('message', (e) => {
    let t = null;
    try { t = JSON.parse(e.data).t; } catch (_) {}
    window.__wsTimes.push(typeof t === 'number' ? t : performance.now());
  });
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
"""


def start_server(binary, folder):
    p = subprocess.Popen([binary, "serve", "--port", "0", "--store", folder + "/runs", "--study-store", folder + "/study.sqlite"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = p.stdout.readline()
    m = re.search(r"(http://[^ ]+)\?token=(\w+)", line)
    if not m:
        p.kill()
        sys.exit("the server did not print its URL: " + line)
    return p, m.group(1).rstrip("/"), m.group(2)


def api(base, token, path):
    with urllib.request.urlopen(f"{base}{path}{'&' if '?' in path else '?'}token={token}") as r:
        return json.load(r)


def browser_run(base, token, steps, chromium, chromedriver):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]:
        options.add_argument(a)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNTER})
        driver.get(f"{base}/?token={token}")            # sets the cookie, lands on the lab
        weight = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return [n, ...performance.getEntriesByType('resource')].reduce((s, e) => s + (e.encodedBodySize || 0), 0);")
        query = urllib.parse.urlencode({**CONFIG, "steps": steps, "autostart": 1})
        driver.get(f"{base}/?{query}")
        deadline = time.time() + 600
        state = {}
        while time.time() < deadline:
            runs = api(base, token, "/api/runs")["runs"]
            state = runs[-1] if runs else {}
            if state.get("state") in ("finished", "failed", "stopped"):
                break
            time.sleep(0.2)
        time.sleep(0.3)                                  # the last batch reaches the page
        times = driver.execute_script("return window.__wsTimes") or []
        return state, weight, times
    finally:
        driver.quit()


def cli_run(gradlab, steps, record):
    args = [gradlab, "train", "--no-progress", "--steps", str(steps)]
    for k, v in CONFIG.items():
        args += [f"--{k}", str(v)]
    folder = tempfile.mkdtemp()
    if record:
        args += ["--record", folder]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    shutil.rmtree(folder)
    return steps / seconds


def busiest_second(times_ms):
    times = sorted(times_ms)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1000:      # the window (t - 1 s, t]
            j += 1
        best = max(best, i - j + 1)
    return best


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", ".build", "release")
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--steps", type=int, default=3000)
    a.add_argument("--repeat", type=int, default=3, help="runs of each kind; the median is reported")
    a.add_argument("--server", default=os.path.join(build, "gradlab-server"))
    a.add_argument("--gradlab", default=os.path.join(build, "gradlab"))
    a.add_argument("--chromium", default="/usr/bin/chromium")
    a.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a.add_argument("--json", action="store_true")
    o = a.parse_args()
    for path in (o.server, o.gradlab):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is not built: swift build -c release && swift build -c release --product gradlab-server")
    web, weights, peaks, rates = [], [], [], []
    for _ in range(o.repeat):
        folder = tempfile.mkdtemp()
        server, base, token = start_server(o.server, folder)
        try:
            state, weight, times = browser_run(base, token, o.steps, o.chromium, o.chromedriver)
        finally:
            server.terminate()
            server.wait()
            shutil.rmtree(folder)
        if state.get("state") != "finished":
            sys.exit(f"the browser's run did not finish: {state}")
        web.append(state["step"] / state["seconds"])
        weights.append(weight)
        peaks.append(busiest_second(times))
        span = (max(times) - min(times)) / 1000 if len(times) > 1 else 1
        rates.append(len(times) / span)
    plain = [cli_run(o.gradlab, o.steps, False) for _ in range(o.repeat)]
    recorded = [cli_run(o.gradlab, o.steps, True) for _ in range(o.repeat)]
    m = statistics.median
    result = {"config": {**CONFIG, "steps": o.steps}, "web_steps_per_s": m(web), "train_steps_per_s": m(plain),
              "train_record_steps_per_s": m(recorded), "web_vs_train": m(web) / m(plain), "web_vs_train_record": m(web) / m(recorded),
              "ws_messages_busiest_second": max(peaks), "ws_messages_per_s_mean": m(rates), "first_load_bytes": max(weights)}
    if o.json:
        print(json.dumps(result))
        return
    print(f"settings: {' '.join(f'{k}={v}' for k, v in result['config'].items())}; median of {o.repeat}")
    print(f"  watched in the browser   {m(web):8.1f} steps/s")
    print(f"  gradlab train            {m(plain):8.1f} steps/s   (browser: {result['web_vs_train']:.1%} of it)")
    print(f"  gradlab train --record   {m(recorded):8.1f} steps/s   (browser: {result['web_vs_train_record']:.1%} of it; both probe every step)")
    print(f"  WebSocket messages       busiest second {max(peaks)}, mean {m(rates):.1f}/s")
    print(f"  first lab load           {max(weights) / 1024:.1f} KB")


if __name__ == "__main__":
    main()
