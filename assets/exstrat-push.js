// The Channels page's side of web push (an ES module, imported on demand by the page's
// state): register the service worker, and subscribe this browser with the server's VAPID
// key, then hand the subscription to POST /api/push/subscriptions (same-origin, the session
// cookie). Every function resolves to a short word or a sentence, never throws.

const WORKER = "/exstrat-sw.js";

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4))
    .replace(/-/g, "+")
    .replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export async function register() {
  if (!supported()) return "unsupported";
  try {
    const registration = await navigator.serviceWorker.register(WORKER);
    await navigator.serviceWorker.ready;
    if (Notification.permission === "denied") return "denied";
    return (await registration.pushManager.getSubscription()) ? "subscribed" : "ready";
  } catch (e) {
    return "unsupported";
  }
}

export async function subscribe() {
  if (!supported()) return "This browser cannot receive web push.";
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      return "Notifications are blocked for this site: allow them in the browser's settings.";
    }
    const registration = await navigator.serviceWorker.register(WORKER);
    await navigator.serviceWorker.ready;
    const answer = await fetch("/api/push/vapid-public-key", { credentials: "same-origin" });
    const { publicKey } = await answer.json();
    const subscription =
      (await registration.pushManager.getSubscription()) ||
      (await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      }));
    const saved = await fetch("/api/push/subscriptions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
    if (!saved.ok) {
      const body = await saved.json().catch(() => ({}));
      return (body.error && body.error.message) || "The server did not keep this subscription.";
    }
    return "ok";
  } catch (e) {
    return "Could not turn on web push here: " + ((e && e.message) || e);
  }
}
