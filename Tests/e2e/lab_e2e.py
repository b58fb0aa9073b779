#!/usr/bin/env python3
"""End-to-end check of the web lab in a real headless Chromium, driven by Selenium.

Usage: python3 Tests/e2e/lab_e2e.py --server PATH_TO_gradlab-server --artifacts DIR [--web-root DIR]

Starts the server on a free port with a fresh run store and study store, then: runs the
"vanishing: 20-layer sigmoid" preset and waits for its heat map and a vanishing verdict on an
early layer; reruns it with ReLU and He init through the controls and checks the verdict is gone
and the accuracy rose; reloads the page and finds the same run on screen; creates a paused run and
stops it from the live-runs panel; rates a flashcard "good" and finds the rating in the study store's SQLite
file. Screenshots of every page go to the artifacts folder. One line per check; exit 0 only if
all pass, 77 (skip) when Selenium or chromedriver is missing.
"""
import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
VANISHING_PRESET = "vanishing: 20-layer sigmoid"
FIXED_PRESET = "fixed by He init"
OVER = ("finished", "failed", "stopped", "interrupted")
OWN_FILES = {"lab-vanishing.png", "lab-fixed.png", "lab-phone.png", "phase.png", "runs.png", "study.png",
             "server.log", "browser-console.log"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", required=True, help="the gradlab-server binary")
    p.add_argument("--artifacts", required=True, help="folder for screenshots and logs")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    p.add_argument("--run-timeout", type=float, default=120, help="seconds to wait for the vanishing picture")
    p.add_argument("--web-root", default=None,
                   help="serve the pages from this folder (the source's Resources/web) instead of the built-in copy")
    return p.parse_args()


class Server:
    """The server under test on a free port; its output is kept in the artifacts folder."""

    def __init__(self, binary, tmp, artifacts, web_root=None):
        self.store = os.path.join(tmp, "runs")
        self.study = os.path.join(tmp, "study.sqlite")
        self.log = open(os.path.join(artifacts, "server.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", "0", "--store", self.store, "--study-store", self.study]
            + (["--web-root", web_root] if web_root else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.url = None
        found = threading.Event()

        def pump():  # keeps reading so the server never blocks on a full pipe
            for line in self.proc.stdout:
                self.log.write(line)
                self.log.flush()
                m = re.search(r"GradLab web lab: (http://\S+)", line)
                if m and not self.url:
                    self.url = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        found.wait(90)

    @property
    def origin(self):
        m = re.match(r"(http://[^/]+)", self.url or "")
        return m.group(1) if m else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Checks:
    """Prints one line per check; a failure saves a screenshot and the browser console."""

    def __init__(self, artifacts):
        self.artifacts = artifacts
        self.driver = None
        self.failed = []

    def ok(self, name, detail=""):
        print(f"PASS {name}" + (f": {detail}" if detail else ""), flush=True)

    def fail(self, name, detail):
        print(f"FAIL {name}: {detail}", flush=True)
        self.failed.append(name)
        if self.driver is not None:
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            try:
                self.driver.save_screenshot(os.path.join(self.artifacts, f"fail-{slug}.png"))
                self.save_console()
            except Exception as e:  # the browser itself may be gone
                print(f"  (no screenshot: {e})")

    def check(self, name, condition, detail=""):
        (self.ok if condition else self.fail)(name, detail)
        return condition

    def save_console(self):
        try:
            entries = self.driver.get_log("browser")
        except Exception:
            return
        with open(os.path.join(self.artifacts, "browser-console.log"), "a") as f:
            for e in entries:
                f.write(f"{e.get('level')} {e.get('message')}\n")


def main():
    args = parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.common.action_chains import ActionChains
    except ImportError as e:
        print(f"SKIP: selenium is not installed ({e})")
        return SKIP
    for path, what in ((args.chromedriver, "chromedriver"), (args.chromium, "chromium")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            print(f"SKIP: {what} not found at {path}")
            return SKIP
    if not os.access(args.server, os.X_OK):
        print(f"FAIL server: {args.server} is not an executable")
        return 1

    os.makedirs(args.artifacts, exist_ok=True)
    for old in os.listdir(args.artifacts):  # only what an earlier run of this script wrote
        if old in OWN_FILES or (old.startswith("fail-") and old.endswith(".png")):
            os.remove(os.path.join(args.artifacts, old))
    tmp = tempfile.mkdtemp(prefix="gradlab-e2e-")
    checks = Checks(args.artifacts)
    server = Server(args.server, tmp, args.artifacts, args.web_root)
    driver = None
    try:
        if not checks.check("server prints its URL", server.url is not None, server.url or "no 'GradLab web lab:' line within 90 s"):
            return 1
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
            options.add_argument(a)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        driver.set_window_size(1280, 900)
        checks.driver = driver
        run_checks(driver, server, checks, args, By, Select, Keys, ActionChains)
    except Exception as e:
        checks.fail("unexpected error", f"{type(e).__name__}: {e}")
    finally:
        if driver is not None:
            checks.save_console()
            driver.quit()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'all checks passed' if not checks.failed else str(len(checks.failed)) + ' check(s) failed'}; artifacts in {args.artifacts}")
    return 0 if not checks.failed else 1


def run_checks(d, server, checks, args, By, Select, Keys, ActionChains):
    shot = lambda name: d.save_screenshot(os.path.join(args.artifacts, name))
    T = lambda tid: d.find_element(By.CSS_SELECTOR, f'[data-testid="{tid}"]')

    def wait(predicate, timeout, step=0.25):
        """The predicate's first truthy value within timeout seconds, else None (errors count as not yet)."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = predicate()
                if v:
                    return v
            except Exception:
                pass
            time.sleep(step)
        return None

    def state():
        return T("state").get_attribute("data-state") or T("state").text

    def accuracy():
        v = T("accuracy").get_attribute("data-value")
        return float(v) if v not in (None, "") else None

    def verdicts(kind):
        out = []
        for v in d.find_elements(By.CSS_SELECTOR, f'[data-testid="verdicts"] .verdict[data-kind="{kind}"]'):
            out.append([int(x) for x in (v.get_attribute("data-layers") or "").split(",") if x.strip() != ""])
        return out

    def wait_for_end(timeout):
        return wait(lambda: state() in OVER and state(), timeout)

    # The token URL sets the cookie and redirects to the lab.
    d.get(server.url)
    presets = wait(lambda: [o.text for o in Select(T("preset")).options if o.get_attribute("value")], 30)
    if not checks.check("lab page loads its presets", presets and VANISHING_PRESET in presets, f"presets: {presets}"):
        return
    ok = wait(lambda: "token=" not in d.current_url, 5)
    checks.check("token leaves the address bar", ok, d.current_url)

    # 1. The vanishing preset: the heat map fills and the verdict names an early layer.
    Select(T("preset")).select_by_visible_text(VANISHING_PRESET)
    depth = int(d.find_element(By.CSS_SELECTOR, 'input[name="depth"]').get_attribute("value"))
    T("start").click()

    def vanishing_seen():
        steps = int(T("heatmap").get_attribute("data-steps") or 0)
        early = [ls for ls in verdicts("vanishing") if any(i < depth / 2 for i in ls)]
        return steps >= 50 and early and (steps, early)

    seen = wait(vanishing_seen, args.run_timeout)
    shot("lab-vanishing.png")
    if not checks.check("vanishing run: ≥ 50 steps in the heat map and a vanishing verdict on an early layer", seen,
                        f"steps {seen[0]}, verdict layers {seen[1][0]}" if seen
                        else f"steps {T('heatmap').get_attribute('data-steps')}, vanishing verdicts {verdicts('vanishing')}, state {state()}"):
        return
    checks.check("the URL holds the config", "activation=sigmoid" in d.current_url, d.current_url.split("?", 1)[-1][:120])

    end = wait_for_end(240)
    if not end:
        T("stop").click()
        end = wait_for_end(30)
    acc_bad = accuracy()
    if not checks.check("vanishing run ends with an accuracy", end and acc_bad is not None, f"state {end}, accuracy {acc_bad}"):
        return

    # 2. The fix, through the controls: ReLU and He init, plus any other key in which the server's
    # "fixed by He init" preset differs from the vanishing one (its learning rate: at the vanishing
    # preset's rate a 20-layer ReLU net may diverge, which is not what this check is about).
    fix = {"activation": "relu", "init": "he-normal"}
    lab = d.execute_async_script("fetch('/api/lab').then(r => r.json()).then(arguments[0], () => arguments[0](null))")
    by_name = {p["name"]: p for p in (lab or {}).get("presets", [])}
    if FIXED_PRESET in by_name and VANISHING_PRESET in by_name:
        bad, good = by_name[VANISHING_PRESET]["config"], by_name[FIXED_PRESET]["config"]
        fix.update({k: v for k, v in good.items() if bad.get(k) != v and k not in fix})
    for key, value in fix.items():
        control = d.find_element(By.CSS_SELECTOR, f'[name="{key}"]')
        if control.tag_name == "select":
            Select(control).select_by_value(str(value))
        else:
            control.clear()
            control.send_keys(str(value), Keys.TAB)
    wait(lambda: T("start").is_enabled(), 10)
    first_run = T("state").get_attribute("data-run")
    T("start").click()
    new_run = wait(lambda: T("state").get_attribute("data-run") not in (None, "", first_run) and T("state").get_attribute("data-run"), 20)
    if not checks.check("fixed run starts", new_run, f"set {fix}; run {new_run}" if new_run
                        else d.find_element(By.ID, "status").text or "no new run within 20 s"):
        return
    end = wait_for_end(300)
    shot("lab-fixed.png")
    if not checks.check("fixed run finishes", end == "finished", f"state {end or state()}"):
        return
    checks.check("fixed run: no vanishing verdict", not verdicts("vanishing"), f"vanishing verdicts: {verdicts('vanishing')}")
    acc_good = accuracy()
    checks.check("fixed run: accuracy rose", acc_good is not None and acc_good > acc_bad, f"{acc_bad} → {acc_good}")

    # Page weight of the lab as loaded (HTML, CSS, modules).
    kb = d.execute_script("""
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource').filter(r => /\\.(css|js)$/.test(new URL(r.name).pathname));
        return ((nav ? nav.decodedBodySize : 0) + res.reduce((s, r) => s + r.decodedBodySize, 0)) / 1024;""")
    checks.check("first lab load under 300 KB", kb and kb < 300, f"{kb:.1f} KB")

    # A reload (or a second tab on the same URL) shows the same run: the URL names it.
    checks.check("the URL names the run on screen", f"run={new_run}" in d.current_url, d.current_url.split("?", 1)[-1][-60:])
    d.refresh()
    again = wait(lambda: T("state").get_attribute("data-run") == new_run and int(T("heatmap").get_attribute("data-steps") or 0) > 0, 20)
    checks.check("after a reload the same run is on screen again", again,
                 f"run {T('state').get_attribute('data-run')}, {T('heatmap').get_attribute('data-steps')} steps in the heat map")

    # A run created paused is listed under "live runs" and can be stopped from there.
    T("step").click()
    paused = wait(lambda: state() == "paused" and T("state").get_attribute("data-run"), 20)
    row = paused and wait(lambda: d.find_element(
        By.CSS_SELECTOR, f'[data-testid="live-runs"] [data-run="{paused}"][data-state="paused"]'), 15)
    if checks.check("a paused run is listed under live runs", row, f"run {paused}" if row else f"state {state()}"):
        row.find_element(By.CSS_SELECTOR, 'button[data-action="stop"]').click()
        gone = wait(lambda: state() == "stopped" and not d.find_elements(
            By.CSS_SELECTOR, f'[data-testid="live-runs"] [data-run="{paused}"]'), 20)
        checks.check("Stop in the live-runs list stops it", gone, f"state {state()}")

    # 3. Phone width: the controls stack above the charts.
    d.set_window_size(390, 844)
    time.sleep(1)
    shot("lab-phone.png")
    stacked = d.execute_script("""
        const form = document.querySelector('aside').getBoundingClientRect();
        const map = document.querySelector('[data-testid=heatmap]').getBoundingClientRect();
        return form.bottom <= map.top + 1 && document.documentElement.scrollWidth <= window.innerWidth + 1;""")
    checks.check("phone width: controls above the heat map, nothing wider than the screen", stacked)
    d.set_window_size(1280, 900)

    # 4. Phase diagram: the plane draws and a point reads out.
    d.get(server.origin + "/phase")
    canvas = wait(lambda: d.find_elements(By.CSS_SELECTOR, "#legend svg") and d.find_element(By.ID, "canvas"), 150)
    if canvas:
        ActionChains(d).move_to_element(canvas).click().perform()
    readout = wait(lambda: "χ₁" in d.find_element(By.ID, "readout").text and d.find_element(By.ID, "readout").text, 20)
    shot("phase.png")
    checks.check("phase page draws the plane and reads a point", canvas and readout, (readout or "no readout").replace("\n", " ")[:100])

    # 5. Runs page: both runs are in the store.
    d.get(server.origin + "/runs")
    rows = wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody input[type=checkbox]")) >= 2 and
                len(d.find_elements(By.CSS_SELECTOR, "#runs tbody input[type=checkbox]")), 20)
    shot("runs.png")
    checks.check("runs page lists the two runs", rows, f"{rows} runs")

    # 6. Study: flip, rate good, and find the rating in the review store.
    d.get(server.origin + "/study")
    card = wait(lambda: T("card-front").get_attribute("data-card"), 20)
    if not checks.check("study page shows a card", card, T("card-front").text[:80]):
        return
    T("flip").click()
    wait(lambda: T("card-back").is_displayed(), 5)
    before = T("study-progress").text
    T("rate-3").click()
    wait(lambda: "Saved" in d.find_element(By.ID, "status").text, 10)
    # The next card, flipped, shows the answer side and the intervals on the rating buttons.
    if wait(lambda: T("card-front").get_attribute("data-card") not in (None, card) and T("flip").is_displayed(), 10):
        T("flip").click()
    time.sleep(0.5)
    shot("study.png")
    row = None
    try:
        db = sqlite3.connect(server.study, timeout=10)
        row = db.execute("SELECT card_id, rating FROM reviews WHERE card_id = ? ORDER BY id DESC LIMIT 1", (card,)).fetchone()
        db.close()
    except sqlite3.Error as e:
        row = None
        checks.fail("study store readable", str(e))
    checks.check("study: rating 3 for the card is in the review store", row is not None and row[1] == 3,
                 f"card {card}: {row}; progress '{before}' → '{T('study-progress').text}'")


if __name__ == "__main__":
    sys.exit(main())
