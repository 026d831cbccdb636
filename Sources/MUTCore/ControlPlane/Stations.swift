/// Wi-Fi station events (nl80211, from the access point on this router): a station that leaves
/// takes its memberships with it at once, instead of being sent copies (retried to exhaustion
/// over the air) until its membership times out; a station that comes back is asked at once
/// for its memberships, since its kernel reports again only when queried.
extension ControlPlane {
    /// `interface`: the served interface the station's AP interface is (or is a port of); the
    /// daemon gives nil for an AP mutd does not serve, and the event is ignored.
    public mutating func station(_ event: StationEvent, on interface: String?, now: Double) {
        defer { settle(now: now) }
        guard let interface, let link = link(interface) else { return }
        stationEvents &+= 1
        switch event.kind {
        case .left:
            stationsLeft &+= 1
            if departedStations.count >= 4096 { departedStations.removeAll() }
            departedStations.insert(event.mac)
            record(table.forget(mac: event.mac))
            record(mldTable.forget(mac: event.mac))
            // Static subscribers at that MAC get no copies while it is away.
            for (key, mac) in neighbours.macs where mac == event.mac && key.interface == interface {
                if neighbours.stationLeft(key) { membershipsChanged = true }
            }
            effects.append(.log(.info, "Wi-Fi station \(event.mac) left the access point (interface index \(event.interfaceIndex)): its copies stop"))
        case .associated:
            let returning = departedStations.remove(event.mac) != nil
            for (key, mac) in neighbours.macs where mac == event.mac && key.interface == interface {
                neighbours.hostSpoke(key, mac: mac)
                membershipsChanged = true
            }
            guard let own = link.address else { return }
            // Asked at once: a station that reconnects reports again only when queried.
            let version = max(2, table.querier(interface: interface)?.version ?? config.querierVersion)
            let timers = config.membership.defaultTimers
            effects.append(.sendFrame(interface: interface, frame: IGMPQueryFrame.build(
                version: version, sourceMAC: link.mac, sourceIP: own, destinationMAC: event.mac, timers: timers,
                maxResponseTime: min(timers.lastMemberQueryInterval, timers.queryResponseInterval)), kind: .perHost))
            perHostQueriesSent &+= 1
            effects.append(.log(.info, "Wi-Fi station \(event.mac) \(returning ? "is back on" : "associated to") the access point: asked for its groups"))
        }
    }
}
