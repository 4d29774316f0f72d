"""Contract suites: the behaviour every implementation of a seam must keep, as pytest classes
to subclass. `parley.testing.contracts.store.StoreContract` for a ``Store``,
`parley.testing.contracts.schedule.ScheduleStoreContract` for a schedule store, and
`parley.testing.contracts.channel.ChannelContract` for a channel."""
