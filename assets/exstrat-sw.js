// exstrat's service worker: shows an alert pushed while no tab is open (web push, RFC 8030),
// and opens the strategy when the notification is clicked. Served from the site's root so
// that its scope is the whole site. The payload is JSON {title, body, url} (see
// exstrat_app/services/notifications/channels.py send_to_channel).

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function sameOriginUrl(url) {
  // Only our own pages: a payload can never send the person to another site.
  try {
    const target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + "/";
  } catch (e) {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "exstrat alert";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      data: { url: sameOriginUrl(data.url) },
      tag: data.tag || undefined,
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
      for (const tab of tabs) {
        if (tab.url === url && "focus" in tab) return tab.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
