// Where a live client resumes after a reconnect, the one copy every live page and the phone app
// use. The server sends each connection a snapshot, then a replay of what the client missed
// (after the cursor it sent), and live events from the moment it joined its rooms: live events
// can come before the replay. A client that moved its cursor to such an event and lost the
// connection before the replay had all come would resume past the events it never got. So the
// cursor moves only while the connection's replay is complete: to the snapshot's on the first
// connection, to the highest event seen once the replay's last packet has come, and with every
// event after that. A plain script that sets `globalThis.gfResume`, so a page loads it with
// <script src> and an ES module with `import "/assets/js/resume.js"`.
"use strict";

(function () {
  globalThis.gfResume = function resumePoint() {
    let highest = null; // the highest event id seen
    let cursor = null; // what the next connection asks to be replayed after
    let whole = false; // this connection's replay has all come
    return {
      // A new connection: its replay has not come yet.
      connecting() { whole = false; },
      // The connection's snapshot: the first one sets the cursor (older events are history).
      snapshot(lastEventId) {
        if (cursor === null) cursor = highest = lastEventId;
      },
      // An event was shown (replayed or live).
      seen(id) {
        if (highest === null || id > highest) highest = id;
        if (whole) cursor = highest;
      },
      // A replay packet has come; `more` says whether others follow.
      replayed(more) {
        if (more) return;
        whole = true;
        cursor = highest;
      },
      get cursor() { return cursor; },
    };
  };
})();
