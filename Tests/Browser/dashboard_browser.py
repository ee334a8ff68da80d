#!/usr/bin/env python3
"""Drives the Coalition dashboard in headless Chromium (Debian's chromium and chromium-driver,
through selenium), against a live node whose peers and signals the calling test set up.

  dashboard_browser.py --base http://127.0.0.1:PORT --admin-token coal_... \
      --peers B,C --remote-value VALUE --remote-author C \
      --publish-url http://127.0.0.1:PORT_C --publish-token coal_... --out DIR

Steps, each printed as "ok: ..." (any failure exits 1 with the reason):
  a wrong token is refused; log in; the overview lists the peers; search for the remote
  signal and open its detail; set an override; watch a critical signal published at the
  other node appear on the live page; log out; then, with JavaScript disabled, log in again
  and render every page. A screenshot of each page goes to --out.
"""
import argparse
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach the network


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def ok(message):
    print("ok: " + message, flush=True)


def browser(javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1360,1000",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(120)
    return driver


def wait_for(what, condition, seconds=120):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # the page may be mid-load
            last = e
        time.sleep(0.2)
    fail("timed out waiting for " + what + (f" (last error: {last})" if last else ""))


def shot(driver, out, name):
    path = os.path.join(out, name + ".png")
    # The whole page, not only the window.
    height = driver.execute_script("return document.body.scrollHeight") if driver.execute_script("return 1") else None
    if height:
        driver.set_window_size(1360, max(1000, min(int(height) + 40, 6000)))
    driver.save_screenshot(path)
    driver.set_window_size(1360, 1000)
    return path


def shot_nojs(driver, out, name):
    path = os.path.join(out, name + ".png")
    driver.save_screenshot(path)
    return path


def login(driver, base, token):
    driver.get(base + "/ui/login")
    box = driver.find_element(By.ID, "token")
    box.clear()
    box.send_keys(token)
    driver.find_element(By.ID, "login").click()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--admin-token", required=True)
    p.add_argument("--peers", required=True, help="peer names the overview must list, comma-separated")
    p.add_argument("--remote-value", required=True)
    p.add_argument("--remote-author", required=True)
    p.add_argument("--publish-url", required=True)
    p.add_argument("--publish-token", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print("screenshots: " + a.out, flush=True)

    d = browser()
    try:
        # 1. A wrong token is refused.
        login(d, a.base, "coal_" + "x" * 43)
        wait_for("the refusal", lambda: "Invalid or revoked token" in d.page_source)
        if d.get_cookie("coalition_session"):
            fail("a session cookie was set for a wrong token")
        if not d.current_url.endswith("/ui/login"):
            fail("a wrong token left the login page: " + d.current_url)
        shot(d, a.out, "login-refused")
        ok("a wrong token is refused")

        # 2. Log in; the overview shows the peers, connected.
        login(d, a.base, a.admin_token)
        wait_for("the overview", lambda: d.find_element(By.TAG_NAME, "h1").text == "Overview")
        cookie = d.get_cookie("coalition_session")
        if not cookie or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict":
            fail(f"the session cookie lacks HttpOnly or SameSite=Strict: {cookie}")
        peers = d.find_element(By.ID, "peers").text
        for name in a.peers.split(","):
            if name not in peers:
                fail(f"peer {name} is not on the overview: {peers!r}")
        wait_for("every peer connected", lambda: (d.refresh() or True) and d.find_element(By.ID, "peers").text.count("not connected") == 0
                 and all(n in d.find_element(By.ID, "peers").text for n in a.peers.split(",")))
        shot(d, a.out, "overview")
        ok("logged in; the overview lists peers " + a.peers + ", connected")

        # 3. Find the signal published at the other node and open its detail.
        d.get(a.base + "/ui/signals")
        box = d.find_element(By.ID, "search-text")
        box.send_keys(a.remote_value[3:15])
        d.find_element(By.ID, "search").click()
        link = wait_for("the remote signal in the results",
                        lambda: [e for e in d.find_elements(By.CSS_SELECTOR, "#signals a") if e.text == a.remote_value])
        shot(d, a.out, "signals")
        link[0].click()
        wait_for("the detail page", lambda: d.find_element(By.ID, "signal-value").text == a.remote_value)
        facts = d.find_element(By.ID, "signal-facts").text
        if a.remote_author not in facts:
            fail(f"the detail does not name {a.remote_author} as the source: {facts!r}")
        note = d.find_element(By.ID, "signal-note").text
        if "<script>" not in note:
            fail(f"the note's <script> is not shown as text: {note!r}")
        if d.execute_script("return window.__coalition_xss === true"):
            fail("a script from a note ran")
        if len(d.find_elements(By.CSS_SELECTOR, "#chain tbody tr")) < 1:
            fail("the entry chain is empty")
        shot(d, a.out, "signal")
        ok("found the signal from " + a.remote_author + " and opened its detail; its note is escaped")

        # 4. Set an override.
        d.find_element(By.ID, "override-ignore").click()
        wait_for("the override", lambda: d.find_element(By.ID, "signal-override").text.startswith("ignore"))
        d.get(a.base + "/ui/overrides")
        if a.remote_value not in d.find_element(By.ID, "overrides").text:
            fail("the override is not listed")
        shot(d, a.out, "overrides")
        ok("set an 'ignore' override from the detail page")

        # 5. A critical signal appears live.
        d.get(a.base + "/ui/live")
        wait_for("the live stream to connect", lambda: d.find_element(By.ID, "live-status").text.startswith("connected"))
        value = "#critical-live-" + str(int(time.time() * 1000))
        body = json.dumps({"kind": "trend", "value": value, "category": "violence", "severity": "critical"}).encode()
        req = urllib.request.Request(a.publish_url + "/v1/signals", data=body, method="POST",
                                     headers={"Authorization": "Bearer " + a.publish_token, "Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(req, timeout=120) as r:
            if r.status != 201:
                fail(f"publishing at the other node answered {r.status}")
        wait_for("the critical signal on the live page",
                 lambda: value in d.find_element(By.ID, "live-rows").text, seconds=120)
        elapsed = time.monotonic() - started
        shot(d, a.out, "live")
        ok(f"a critical signal published at the other node appeared live after {elapsed:.2f} s")

        for name, path in (("members", "/ui/members"), ("deliveries", "/ui/deliveries"), ("report", "/ui/report")):
            d.get(a.base + path)
            wait_for(name, lambda: d.find_element(By.TAG_NAME, "h1").text != "")
            shot(d, a.out, name)

        # 6. Log out; the pages refuse the old session.
        d.find_element(By.ID, "logout").click()
        wait_for("the login page", lambda: d.current_url.endswith("/ui/login"))
        d.get(a.base + "/ui")
        if not d.current_url.endswith("/ui/login"):
            fail("after logout, /ui did not send back to the login page")
        ok("logged out; /ui sends back to the login page")
    finally:
        d.quit()

    # 7. Every page with JavaScript disabled.
    d = browser(javascript=False)
    try:
        login(d, a.base, a.admin_token)
        wait_for("the overview without JavaScript", lambda: d.find_element(By.TAG_NAME, "h1").text == "Overview")
        d.get(a.base + "/ui/signals?status=all&q=" + urllib.parse.quote(a.remote_value[3:15]))
        detail = d.find_element(By.CSS_SELECTOR, "#signals a").get_attribute("href")
        pages = [("overview", "/ui", "peers"), ("signals", "/ui/signals?status=all", "signals"), ("signal", detail, "signal-facts"),
                 ("overrides", "/ui/overrides", "overrides"), ("members", "/ui/members", "members"), ("live", "/ui/live", "live"),
                 ("deliveries", "/ui/deliveries", None), ("report", "/ui/report", "report-digest")]
        for name, path, element in pages:
            d.get(path if path.startswith("http") else a.base + path)
            title = d.find_element(By.TAG_NAME, "h1").text
            if not title or "Error" in title:
                fail(f"{name} without JavaScript: heading {title!r}")
            if element and not d.find_elements(By.ID, element):
                fail(f"{name} without JavaScript lacks #{element}")
            shot_nojs(d, a.out, "nojs-" + name)
        d.get(a.base + "/ui/live")
        if d.find_element(By.ID, "live-status").text.startswith("connected"):
            fail("JavaScript ran although it was disabled")
        # A form works without script: clear the override set above.
        d.get(a.base + "/ui/overrides")
        d.find_element(By.CSS_SELECTOR, "#overrides button").click()
        wait_for("the override cleared", lambda: "Override cleared" in d.page_source)
        ok("every page renders with JavaScript disabled, and its forms work")
    finally:
        d.quit()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
