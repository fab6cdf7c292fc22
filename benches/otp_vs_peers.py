"""pyotp peer for BENCHMARKS.md: print the current TOTP code and the next N
codes (like `oathtool -w N`), one per line, as a whole process."""
import sys
import pyotp

secret, at, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
totp = pyotp.TOTP(secret)  # SHA1, 6 digits, 30 s
out = sys.stdout
step = at // 30
for i in range(window + 1):
    out.write(totp.generate_otp(step + i))
    out.write("\n")
