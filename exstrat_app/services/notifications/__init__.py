"""The notifications context: what an alert says (`wording`), the in-app inbox (`inbox`),
email delivery and its job (`delivery`), the sweep of lost email jobs (`sweep`) and the
live push to open tabs (`push`). It knows the models, never the strategies context: the
watcher (strategies) calls into it, not the reverse."""
