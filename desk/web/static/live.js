// Live console pages. One EventSource on /desk/events; on each `tickets` event every region
// marked data-live-fragment is re-fetched and its content swapped. Nothing outside those regions
// is touched, so the reply box keeps its text, cursor and focus. Timers (waiting time, SLA
// countdown) tick here every second from the times the server put in data attributes.
(function () {
  "use strict";

  const status = document.getElementById("live-status");
  const page = document.getElementById("desk-page");
  // The server's clock, not the browser's: SLA times must agree with what the server flags.
  const skew = page && page.dataset.serverNow ? Date.parse(page.dataset.serverNow) - Date.now() : 0;
  const PENDING_RECHECK_MS = 1500;
  const PENDING_RECHECKS = 20;

  function say(text) {
    if (status && status.textContent !== text) status.textContent = text;
  }

  function duration(seconds) {
    let minutes = Math.floor(Math.max(seconds, 0) / 60);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min";
    let hours = Math.floor(minutes / 60);
    minutes %= 60;
    if (hours < 24) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    const days = Math.floor(hours / 24);
    hours %= 24;
    return days + " d " + hours + " h";
  }

  // As pages.countdown words it.
  function countdown(left) {
    if (left < 0) return -left < 60 ? "SLA breached just now" : "SLA breached " + duration(-left) + " ago";
    return left < 60 ? "due in under a minute" : "due in " + duration(left);
  }

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = duration((now - Date.parse(el.dataset.since)) / 1000);
    });
    document.querySelectorAll("[data-sla-due]").forEach(function (el) {
      const left = (Date.parse(el.dataset.slaDue) - now) / 1000;
      el.textContent = countdown(left);
      el.classList.toggle("breached", left < 0);
    });
  }

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.textContent;
      el.textContent = when.toLocaleString([], {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
      });
    });
  }

  function countWaiting() {
    const rows = document.querySelectorAll("#queue-rows tr[data-status='open']").length;
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = rows ? "(" + rows + ") " + base : base;
  }

  function swap(region, html) {
    const focused = document.activeElement;
    const focusId = focused && region.contains(focused) ? focused.id : "";
    const atBottom = region.scrollHeight - region.scrollTop - region.clientHeight < 16;
    region.innerHTML = html;
    if (focusId) {
      const again = document.getElementById(focusId);
      if (again) again.focus();
    }
    if ("stickBottom" in region.dataset && atBottom) region.scrollTop = region.scrollHeight;
    localTimes(region);
  }

  const busy = new WeakMap(); // region -> "running" | "again"
  const rechecks = new WeakMap();

  async function refresh(region) {
    if (busy.get(region)) {
      busy.set(region, "again"); // an event came while fetching: fetch once more after
      return;
    }
    busy.set(region, "running");
    try {
      const response = await fetch(region.dataset.liveFragment, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      if (response.status === 401) {
        window.location.reload(); // signed out: the full page shows the sign-in form
        return;
      }
      if (!response.ok) {
        say("Live updates: the server answered " + response.status + "; retrying on the next change.");
        return;
      }
      swap(region, await response.text());
      const state = response.headers.get("X-Ticket-State");
      const stateLine = document.getElementById("ticket-state");
      if (state && stateLine) stateLine.textContent = decodeURIComponent(state);
      countWaiting();
      tick();
      watchDelivery(region);
    } catch (error) {
      say("Live updates: connection lost, retrying…");
    } finally {
      const again = busy.get(region) === "again";
      busy.delete(region);
      if (again) refresh(region);
    }
  }

  // A reply's delivery (queued → sent or failed) is not a ticket change, so no event tells us:
  // while one is on its way, look again shortly.
  function watchDelivery(region) {
    const waiting = region.querySelector(".delivery-pending, .delivery-sending");
    const count = rechecks.get(region) || 0;
    if (!waiting) {
      rechecks.delete(region);
    } else if (count < PENDING_RECHECKS) {
      rechecks.set(region, count + 1);
      setTimeout(function () { refresh(region); }, PENDING_RECHECK_MS);
    }
  }

  function regions() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live-fragment]"));
  }

  function connect() {
    const source = new EventSource("/desk/events");
    source.addEventListener("open", function () { say("Live"); });
    source.addEventListener("tickets", function () { regions().forEach(refresh); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out: the fragment fetch reloads the page) or the server is gone.
        say("Live updates stopped; trying again…");
        source.close();
        regions().forEach(refresh);
        setTimeout(connect, 5000);
      } else {
        say("Live updates: reconnecting…");
      }
    });
  }

  localTimes(document);
  countWaiting();
  tick();
  regions().forEach(function (region) {
    if ("stickBottom" in region.dataset) region.scrollTop = region.scrollHeight;
    watchDelivery(region);
  });
  setInterval(tick, 1000);
  if (regions().length && "EventSource" in window) connect();
})();
