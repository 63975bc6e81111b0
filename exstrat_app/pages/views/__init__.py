"""State-bound pieces shared by several pages: the signed-in shell (top bar, account menu),
the alert bell with its drawer and toast, the "Create strategy" dialog."""
