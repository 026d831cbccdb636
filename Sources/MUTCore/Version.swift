/// The release both executables report (`--version`, `status --json`).
public enum MUTVersion {
    public static let string = "0.1.0"
}
