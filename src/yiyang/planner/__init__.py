"""Pure dispatch planner: plain inputs (caregivers, a job, a travel model) to a decision."""
