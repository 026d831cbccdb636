// libFuzzer target: netlink framing, rtnetlink neighbour messages, nl80211 station events and
// station/interface dump answers (with the generic netlink controller's family answers), as
// read from the kernel sockets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // Copy into an exact-size allocation so AddressSanitizer sees any read past the datagram.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4)
    defer { buffer.deallocate() }
    if size > 0, let data { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    let datagram = UnsafeRawBufferPointer(buffer)
    let end = (datagram.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!) + size
    for message in Netlink.messages(in: datagram) {
        if let start = message.payload.baseAddress {
            precondition(start >= datagram.baseAddress! && start + message.payload.count <= end, "message outside the datagram")
        }
        if let event = NeighbourEvent.parse(message) {
            precondition(event.mac.map { $0.isUnicast } ?? true, "non-unicast MAC accepted")
        }
        if let station = StationEvent.parse(message, family: message.type) {
            precondition(station.mac.isUnicast, "non-unicast station MAC accepted")
        }
        if let radio = StationInfo.parse(message, family: message.type) {
            precondition(radio.mac.isUnicast, "non-unicast station MAC accepted in a station dump")
            precondition(radio.txBitrateKbps.map { $0 > 0 } ?? true, "an unknown (zero) bitrate reported as a rate")
        }
        _ = StationInfo.accessPointIndex(message, family: message.type)
        _ = GenericNetlink.family(from: message)
        Netlink.forEachAttribute(in: message.payload) { _, value in
            precondition(value.count <= message.payload.count, "attribute longer than its message")
        }
    }
    return 0
}
