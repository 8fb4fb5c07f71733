/* clipportal: progressive enhancement of clip pages (the site works without it). */
(function () {
  "use strict";
  function seconds(hash) {
    var m = /^#t(?:=|-)(\d+(?:\.\d+)?)/.exec(hash || "");
    return m ? parseFloat(m[1]) : null;
  }
  function seekTo(video, t) {
    if (t === null || !video) return;
    var go = function () { video.currentTime = Math.min(t, (video.duration || t)); };
    if (video.readyState >= 1) go(); else video.addEventListener("loadedmetadata", go, { once: true });
  }
  function setup() {
    var video = document.querySelector("video[data-clip]");
    if (!video) return;
    for (var i = 0; i < video.textTracks.length; i++) {
      var tt = video.textTracks[i];
      if (tt.kind === "captions" && video.querySelectorAll("track")[i].default) tt.mode = "showing";
    }
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a[data-seek]");
      if (!a) return;
      ev.preventDefault();
      history.replaceState(null, "", a.getAttribute("href"));
      seekTo(video, parseFloat(a.getAttribute("data-seek")));
      video.play().catch(function () {});
    });
    window.addEventListener("hashchange", function () { seekTo(video, seconds(location.hash)); });
    seekTo(video, seconds(location.hash));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
