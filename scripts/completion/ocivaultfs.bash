# SPDX-License-Identifier: MIT
# bash completion for ocivaultfs and ocivault-backup (docs/workstation.md).
#
#   ocivaultfs -o <TAB>              option names, from `ocivaultfs --help`
#   ocivaultfs -o config=~/x,pro<TAB>    profile=, after a comma too
#   ocivaultfs -o profile=<TAB>      the sections of the OCI config file (the
#                                    line's config=, else $OCI_CLI_CONFIG_FILE,
#                                    $OCI_CONFIG_FILE, ~/.oci/config)
#   ocivaultfs -o config=<TAB>       files (config, cacert; state_dir: dirs)
#   ocivaultfs <TAB>                 directories, for the mount point
#   ocivault-backup <TAB>            options, then TARGET, then directories
#
# Self-contained (no bash-completion package needed); with that package,
# install it as completions/ocivaultfs and completions/ocivault-backup.

# Option names with "=" when they take a value, if --help cannot be run.
_ocivaultfs_static_opts="config= profile= region= endpoint= cacert=
compartment= cache_ttl= backup_name= vault_backup_name= state_dir= retries=
timeout= listing_timeout= write_timeout= rate= debug_http max_pages=
max_entries= max_listing_mb= max_cached= max_cache_mb= max_response_kb=
max_restore_mb= allow_other allow_root auto_unmount max_threads=
max_idle_threads= clone_fd debug log_file= overmount umask= json_size= fsname=
pass_phrase_command= pass_phrase_stdin"

# The words of the line up to the cursor, split at white space only (bash
# also splits at = and :, which -o a=b,c=d is full of): sets _ovfs_cur (the
# word being completed) and _ovfs_words (those before it).
_ocivaultfs_split() {
	local line
	if [[ -n ${COMP_LINE+x} && -n ${COMP_POINT+x} ]]; then
		line=${COMP_LINE:0:COMP_POINT}
	else
		line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
	fi
	read -r -a _ovfs_words <<<"$line"
	if [[ -z $line || $line == *[[:space:]] ]]; then
		_ovfs_cur=
	else
		_ovfs_cur=${_ovfs_words[${#_ovfs_words[@]} - 1]}
		unset '_ovfs_words[${#_ovfs_words[@]}-1]'
	fi
}

# COMPREPLY from full candidates for _ovfs_cur: bash replaces only its own
# current word (after its last word break), so cut the part before it.
_ocivaultfs_reply() {
	local bashcur=${COMP_WORDS[COMP_CWORD]-} cut c
	if [[ $bashcur == *[[:space:]]* || ${#bashcur} -gt ${#_ovfs_cur} ]]; then
		bashcur=$_ovfs_cur
	fi
	cut=$((${#_ovfs_cur} - ${#bashcur}))
	COMPREPLY=()
	for c in "$@"; do
		COMPREPLY+=("${c:cut}")
	done
}

_ocivaultfs_nospace() {
	compopt -o nospace 2>/dev/null
}

# Option names of `-o`: from the program's --help (cached per program).
_ocivaultfs_opt_names() {
	local prog=$1 names
	if [[ ${_ovfs_opts_prog-} == "$prog" && -n ${_ovfs_opts-} ]]; then
		printf '%s\n' "$_ovfs_opts"
		return
	fi
	names=$("$prog" --help 2>&1 </dev/null |
		sed -n 's/^[[:space:]]*\(-[dVh][[:space:]]\{1,\}\)\{0,1\}-o[[:space:]]\{1,\}\([a-z_][a-z_0-9]*\)\(=\{0,1\}\).*/\2\3/p' |
		sed "s/^\(max_threads\|max_idle_threads\)$/\1=/" | sort -u)
	# shellcheck disable=SC2086 # one name a word
	[[ -n $names ]] || names=$(printf "%s\n" $_ocivaultfs_static_opts)
	_ovfs_opts_prog=$prog
	_ovfs_opts=$names
	printf '%s\n' "$names"
}

# The OCI config file the line names (config=), else the default.
_ocivaultfs_config_file() {
	local w file='' opt
	for w in "${_ovfs_words[@]}" "$_ovfs_cur"; do
		local IFS=,
		for opt in $w; do
			[[ $opt == config=* ]] && file=${opt#config=}
		done
		unset IFS
	done
	[[ -n $file ]] || file=${OCI_CLI_CONFIG_FILE:-${OCI_CONFIG_FILE:-~/.oci/config}}
	# shellcheck disable=SC2088 # a literal ~/, as typed
	[[ $file == "~/"* ]] && file=$HOME/${file#"~/"}
	printf '%s\n' "$file"
}

_ocivaultfs_profiles() {
	local file
	file=$(_ocivaultfs_config_file)
	[[ -r $file ]] || return
	sed -n 's/^[[:space:]]*\[\([^]]*\)\][[:space:]]*$/\1/p' "$file"
}

# Files (or only directories) matching a prefix; directories end in '/'.
_ocivaultfs_paths() {
	local kind=$1 prefix=$2 p expanded=$2
	# shellcheck disable=SC2088 # a literal ~/, as typed
	[[ $prefix == "~/"* ]] && expanded=$HOME/${prefix#"~/"}
	while IFS= read -r p; do
		[[ -n $p ]] || continue
		if [[ -d $p ]]; then
			p+=/
		fi
		# shellcheck disable=SC2088 # a literal ~/, as typed
		[[ $expanded != "$prefix" ]] && p="~/${p#"$HOME"/}"
		printf '%s\n' "$p"
	done < <(compgen "$kind" -- "$expanded")
}

# The value of one -o option being typed: "name=value-prefix".
_ocivaultfs_value() {
	local name=$1 value=$2 c
	case $name in
	profile)
		while IFS= read -r c; do
			[[ $c == "$value"* ]] && printf '%s\n' "$c"
		done < <(_ocivaultfs_profiles)
		;;
	config | cacert)
		_ocivaultfs_paths -f "$value"
		;;
	state_dir)
		_ocivaultfs_paths -d "$value"
		;;
	esac
}

_ocivaultfs() {
	local _ovfs_cur _ovfs_words=() prog=${COMP_WORDS[0]:-ocivaultfs}
	local prev='' cands=() c head seg
	_ocivaultfs_split
	((${#_ovfs_words[@]})) && prev=${_ovfs_words[${#_ovfs_words[@]} - 1]}

	if [[ $prev == -o || $_ovfs_cur == -o?* ]]; then
		# -o a=b,c=d,<cur>: complete the segment after the last comma.
		head=${_ovfs_cur%"${_ovfs_cur##*,}"}
		seg=${_ovfs_cur##*,}
		if [[ $prev != -o ]]; then # -oNAME, as libfuse accepts it
			[[ $head ]] || head=-o
			[[ $head == -o ]] && seg=${seg#-o}
		fi
		if [[ $seg == *=* ]]; then
			while IFS= read -r c; do
				cands+=("$head${seg%%=*}=$c")
			done < <(_ocivaultfs_value "${seg%%=*}" "${seg#*=}")
		else
			while IFS= read -r c; do
				[[ $c == "$seg"* ]] && cands+=("$head$c")
			done < <(_ocivaultfs_opt_names "$prog")
		fi
		_ocivaultfs_nospace
		_ocivaultfs_reply "${cands[@]}"
		return
	fi
	if [[ $_ovfs_cur == -* ]]; then
		for c in -o -f -d -s -V --version -h --help; do
			[[ $c == "$_ovfs_cur"* ]] && cands+=("$c")
		done
		_ocivaultfs_reply "${cands[@]}"
		return
	fi
	# The mount point.
	while IFS= read -r c; do
		cands+=("$c")
	done < <(_ocivaultfs_paths -d "$_ovfs_cur")
	_ocivaultfs_nospace
	_ocivaultfs_reply "${cands[@]}"
}

_ocivault_backup() {
	local _ovfs_cur _ovfs_words=() prev='' cands=() c w i npos=0 skip=0
	_ocivaultfs_split
	((${#_ovfs_words[@]})) && prev=${_ovfs_words[${#_ovfs_words[@]} - 1]}
	case $prev in
	-j | --jobs | --interval)
		COMPREPLY=()
		return
		;;
	esac
	if [[ $_ovfs_cur == -* ]]; then
		for c in -j --jobs -n --dry-run -q --quiet --gauge --interval \
			-h --help; do
			[[ $c == "$_ovfs_cur"* ]] && cands+=("$c")
		done
		_ocivaultfs_reply "${cands[@]}"
		return
	fi
	# How many positional words (TARGET, PATH...) come before this one.
	for ((i = 1; i < ${#_ovfs_words[@]}; i++)); do
		w=${_ovfs_words[i]}
		if ((skip)); then
			skip=0
		elif [[ $w == -j || $w == --jobs || $w == --interval ]]; then
			skip=1
		elif [[ $w != -* || $w == - ]]; then
			npos=$((npos + 1))
		fi
	done
	if ((npos == 0)); then
		# TARGET: nothing to offer but the forms that start with a word.
		for c in oci:// https:// -; do
			[[ $c == "$_ovfs_cur"* ]] && cands+=("$c")
		done
		_ocivaultfs_nospace
		_ocivaultfs_reply "${cands[@]}"
		return
	fi
	while IFS= read -r c; do
		cands+=("$c")
	done < <(_ocivaultfs_paths -d "$_ovfs_cur")
	_ocivaultfs_nospace
	_ocivaultfs_reply "${cands[@]}"
}

complete -F _ocivaultfs ocivaultfs
complete -F _ocivault_backup ocivault-backup
