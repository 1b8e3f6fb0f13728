# Writes the partfs(1) man page from `partfs --help`, so the page and the
# binary's own help never disagree. Run by the build with
#   cmake -DPARTFS=<binary> -DVERSION=<x.y> -DOUT=<partfs.1> -P make-man.cmake
execute_process(COMMAND ${PARTFS} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PARTFS} --help failed (${rc})")
endif()
# roff: a leading '.' or '\'' starts a request, and '\' escapes.
string(REPLACE "\\" "\\e" help "${help}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
file(WRITE ${OUT} ".TH PARTFS 1 \"\" \"partfs ${VERSION}\" \"User Commands\"
.SH NAME
partfs \\- mount an S3, OBS or OSS bucket as a directory, writing with multipart upload
.SH SYNOPSIS
.B partfs
BUCKET[:/prefix] MOUNTPOINT [\\-f] [\\-d] [\\-o options]
.br
.B mount \\-t fuse.partfs
BUCKET[:/prefix] MOUNTPOINT [\\-o options]
.br
.B partfs
check|status|gc ...
.SH DESCRIPTION
partfs mounts a bucket (optionally a prefix in it) as a directory. Files are
written in parts to a local cache and uploaded with multipart upload while
writing continues; a journal in the cache lets the next mount finish every
upload a crash interrupted.
.SH OPTIONS
.nf
${help}.fi
.SH FSTAB
.nf
mybucket:/photos  /mnt/photos  fuse.partfs  _netdev,nofail,allow_other,endpoint=https://s3.eu-west-1.amazonaws.com,credentials_file=/etc/partfs/credentials  0 0
.fi
.SH SEE ALSO
mount(8), fstab(5), fusermount3(1)
")
