/// Hitless restart: IGMP and MLD memberships and runtime static subscribers are saved on every change
/// (and every `saveInterval` while timers are refreshed), and put back at start.
extension ControlPlane {
    /// What the state file would hold now.
    public func snapshot(now: Double) -> SavedState {
        var state = SavedState(bootID: bootIDForSnapshot, savedAt: now, memberships: table.memberships + mldTable.memberships,
                               heldInterfaces: config.interfaces.filter { table.expiryIsHeld(interface: $0) },
                               runtimeStatics: runtimeStatics)
        if !mldTable.memberships.isEmpty {
            state.mldHeldInterfaces = config.interfaces.filter { mldTable.expiryIsHeld(interface: $0) }
        }
        return state
    }

    /// Asks for a write when the file would say something new (`force`), or when only timers
    /// were refreshed and the last write is `saveInterval` old.
    mutating func save(now: Double, force: Bool) {
        let state = snapshot(now: now)
        var comparable = state
        comparable.savedAt = lastSavedState?.savedAt ?? 0
        guard comparable != lastSavedState else {
            lastSaveTime = now
            return
        }
        if !force && now - lastSaveTime < Self.saveInterval { return }
        effects.append(.saveState(state))
        lastSavedState = state
        lastSaveTime = now
    }

    mutating func restore(_ text: String, now: Double) {
        let saved: SavedState
        do { saved = try SavedState(json: text) } catch {
            effects.append(.log(.warning, "ignoring the state file: \(error.description)"))
            return
        }
        guard saved.bootID == bootIDForSnapshot else {
            effects.append(.log(.info, "the state file is from another boot: starting afresh"))
            return
        }
        let served = saved.memberships.filter { config.interfaces.contains($0.interface) }
        let igmp = table.restore(served.filter { !$0.group.isIPv6 }, held: Set(saved.heldInterfaces), now: now)
        let mld = mldTable.restore(served.filter(\.group.isIPv6), held: Set(saved.mldHeldInterfaces), now: now)
        record(igmp + mld, quiet: true)
        func joined(_ actions: [MembershipAction]) -> Int { actions.filter { if case .joined = $0 { true } else { false } }.count }
        let mldPart = mld.isEmpty ? "" : " and \(joined(mld)) MLD"
        effects.append(.log(.info, "restored \(joined(igmp)) IGMP\(mldPart) membership(s) saved \(Int(now - saved.savedAt)) s ago"))
        for entry in saved.runtimeStatics where entry.interface.map(config.interfaces.contains) == true {
            if !config.staticSubscribers.contains(entry) { addStatic(entry) }
            if !runtimeStatics.contains(entry) { appendRuntimeStatic(entry) }
        }
    }
}
