"""Form registry (表单): form definitions, per-step field permissions, validation and documents."""
