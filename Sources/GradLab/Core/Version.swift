/// GradLab's version: printed by `--version`, and the key card-experiment caches are kept under
/// (a new engine may measure differently).
public enum GradLabVersion {
    public static let string = "0.1.0"
}
