/// Wi-Fi station events (nl80211, from the access point on this router): a station that leaves
/// takes its memberships with it at once, instead of being sent copies (retried to exhaustion
/// over the air) until its membership times out; a station that comes back is asked at once
/// for its memberships, since its kernel reports again only when queried.
extension ControlPlane {
    /// `interface`: the served interface the station's AP interface is (or is a port of); the
    /// daemon gives nil for an AP mutd does not serve, and the event is ignored.
    public mutating func station(_ event: StationEvent, on interface: String?, now: Double) {
        defer { settle(now: now) }
        guard let interface, link(interface) != nil else { return }
        stationEvents &+= 1
        switch event.kind {
        case .left:
            stationsLeft &+= 1
            if departedStations.count >= 4096 { departedStations.removeAll() }
            departedStations.insert(event.mac)
            record(table.forget(mac: event.mac))
            record(mldTable.forget(mac: event.mac))
            stationQueries.removeAll { $0.mac == event.mac }
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
            // Asked at once: a station that reconnects reports again only when queried. And asked
            // again: the AP reports the station before its WPA handshake ends, and a query sent
            // before then is dropped (seen in the Wi-Fi bed: the station's next report came 6.7 s
            // later, unasked).
            stationQueries.removeAll { $0.mac == event.mac }
            if stationQueries.count >= Self.maxStationQueries { stationQueries.removeFirst(Self.stationRequeries.count) }
            for delay in Self.stationRequeries { stationQueries.append((event.mac, interface, now + delay)) }
            askStation(event.mac, on: interface)
            effects.append(.log(.info, "Wi-Fi station \(event.mac) \(returning ? "is back on" : "associated to") the access point: asked for its groups"))
        }
    }

    /// Seconds after an association when the station is asked again (after the one at once).
    static let stationRequeries: [Double] = [1, 3]
    /// Bound on stations waiting to be asked again.
    static let maxStationQueries = 4096

    /// Stations due to be asked again by `now`, asked.
    mutating func askDueStations(now: Double) {
        let due = stationQueries.filter { $0.at <= now }
        stationQueries.removeAll { $0.at <= now }
        for entry in due { askStation(entry.mac, on: entry.interface) }
    }

    /// A general query in a frame to the station's MAC, in each family mutd can query in.
    private mutating func askStation(_ mac: MACAddress, on interface: String) {
        guard let link = link(interface) else { return }
        let timers = config.membership.defaultTimers
        let maxResponse = min(timers.lastMemberQueryInterval, timers.queryResponseInterval)
        for family in QueryFamily.allCases {
            guard let own = link.querierAddress(family) else { continue }
            let heard = membershipTable(family).querier(interface: interface)?.version
            let version = family == .igmp ? max(2, heard ?? config.querierVersion) : (heard ?? 2)
            send(queryFrame(family, link: link, own: own, version: version, destinationMAC: mac, maxResponseTime: maxResponse),
                 on: interface, kind: .perHost)
        }
    }
}
