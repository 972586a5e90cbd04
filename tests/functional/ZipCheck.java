import java.io.FileInputStream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Reads a ZIP the way Java clients do, with ZipInputStream: name, size, CRC-32 per entry. */
public class ZipCheck {
    public static void main(String[] args) throws Exception {
        try (ZipInputStream in = new ZipInputStream(new FileInputStream(args[0]))) {
            byte[] buffer = new byte[65536];
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                CRC32 crc = new CRC32();
                long size = 0;
                int n;
                while ((n = in.read(buffer)) > 0) {
                    crc.update(buffer, 0, n);
                    size += n;
                }
                System.out.println(entry.getName() + "\t" + size + "\t" + crc.getValue());
            }
        }
    }
}
