//! Shared memory zones holding a `shm_table::Table`, the way nginx's own
//! modules hold theirs: an nginx zone with a slab pool, the table one slab
//! allocation, every access under the pool's `ngx_shmtx` mutex (which
//! nginx's master force-releases if a worker dies holding it). A zone, its
//! entries and its secret survive `nginx -s reload` when its name and size
//! stay the same.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr;

use fediguard_core::shm_table::Table;
use nginx_sys::{
    ngx_int_t, ngx_shared_memory_add, ngx_shm_zone_t, ngx_shmtx_lock, ngx_shmtx_unlock,
    ngx_slab_alloc, ngx_slab_pool_t, ngx_str_t, NGX_LOG_EMERG,
};
use ngx::core::Status;

use super::directive::Directive;

/// Smallest zone: a few slab pages plus a useful table.
pub const MIN_ZONE: usize = 32 * 1024;

/// Registers a shared zone of this module with nginx, checking its size
/// and that the name is not taken; the caller sets `init` and `data`.
pub(super) fn register(
    d: &Directive,
    name: &str,
    size: usize,
    min: usize,
) -> Result<&'static mut ngx_shm_zone_t, String> {
    if size < min {
        return Err(format!(
            "zone \"{name}\" is too small (at least {}k)",
            min / 1024
        ));
    }
    let cf = d.conf_ptr();
    // nginx keeps the name for the cycle's life: copy it into cf's pool.
    // SAFETY: cf is the configuration being parsed.
    let Some(mut zone_name) = (unsafe { ngx_str_t::from_bytes((*cf).pool, name.as_bytes()) })
    else {
        return Err("out of memory".into());
    };
    // SAFETY: as above; nginx allocates the zone in the cycle's pool, alive
    // as long as the cycle (and its configuration).
    let shm_zone =
        unsafe { ngx_shared_memory_add(cf, &mut zone_name, size, super::module::module().cast()) };
    // SAFETY: NULL or the zone nginx made.
    let Some(z) = (unsafe { shm_zone.as_mut() }) else {
        return Err("cannot add shared memory zone".into());
    };
    if !z.data.is_null() {
        return Err(format!("duplicate zone \"{name}\""));
    }
    Ok(z)
}

#[derive(Debug)]
pub struct SharedZone<V> {
    shm_zone: *mut ngx_shm_zone_t,
    _value: PhantomData<V>,
}

/// A handle: nginx's zone lives as long as the configuration that made
/// it, which outlives every request of its workers.
impl<V> Clone for SharedZone<V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for SharedZone<V> {}

impl<V: Copy> SharedZone<V> {
    /// Registers the zone with nginx (at configuration time).
    pub fn add(d: &Directive, name: &str, size: usize) -> Result<Self, String> {
        let z = register(d, name, size, MIN_ZONE)?;
        z.init = Some(init_zone::<V>);
        // Any non-NULL value marks the zone as taken until init replaces it.
        z.data = ptr::NonNull::<u8>::dangling().as_ptr().cast();
        Ok(SharedZone {
            shm_zone: z,
            _value: PhantomData,
        })
    }

    /// Runs `f` on the table under the zone's mutex; None if the zone is not
    /// usable (it always is once nginx has started).
    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table<V>) -> R) -> Option<R> {
        // SAFETY: init_zone ran before any request; shm.addr is the zone's
        // slab pool and data the table inside it.
        unsafe {
            let z = self.shm_zone.as_ref()?;
            let pool = z.shm.addr.cast::<ngx_slab_pool_t>();
            let mem = z.data.cast::<u8>();
            if pool.is_null() || mem.is_null() {
                return None;
            }
            ngx_shmtx_lock(&mut (*pool).mutex);
            let out = Table::<V>::attach(mem, z.shm.size).map(|mut t| f(&mut t));
            ngx_shmtx_unlock(&mut (*pool).mutex);
            out
        }
    }
}

impl<V: Copy> SharedZone<V> {
    /// The table's counters and occupancy, for the metrics.
    pub fn cache_stats(&self) -> Option<fediguard_core::stats::CacheStats> {
        self.with_table(|t| {
            let st = t.stats();
            fediguard_core::stats::CacheStats {
                hits: st.hits,
                misses: st.misses,
                evictions: st.evictions,
                entries: t.len() as u64,
                capacity: t.capacity() as u64,
            }
        })
    }
}

/// Lays out the table in a new zone, or takes over the previous cycle's.
unsafe extern "C" fn init_zone<V: Copy>(
    shm_zone: *mut ngx_shm_zone_t,
    data: *mut c_void,
) -> ngx_int_t {
    // SAFETY: nginx calls a zone's init with the zone (its data set in add) and the previous cycle's data or NULL, before any worker starts.
    unsafe {
        let z = &mut *shm_zone;
        let pool = z.shm.addr.cast::<ngx_slab_pool_t>();
        let previous = if !data.is_null() {
            // A reload: same name, same size; the old table carries on.
            data
        } else if z.shm.exists != 0 {
            (*pool).data
        } else {
            ptr::null_mut()
        };
        if !previous.is_null() {
            // The same name and size may have held another kind of table (a
            // limit zone now marked `sync`, a token zone renamed): its entries
            // would not fit, and every later access would find no table,
            // silently switching the limit or the cache off. Refuse the reload
            // instead, as limit_req does when a zone's key changes.
            if Table::<V>::attach(previous.cast(), z.shm.size).is_none() {
                log_zone(
                    z,
                    NGX_LOG_EMERG,
                    "cannot be taken over from the previous configuration \
                     (another kind of zone had this name and size): rename it",
                );
                return Status::NGX_ERROR.0;
            }
            z.data = previous;
            return Status::NGX_OK.0;
        }
        // All the free pages in one allocation; the slab pool keeps the rest
        // for its own bookkeeping. Quietly: a smaller try is no error.
        let mut bytes = ((*pool).pfree * nginx_sys::ngx_pagesize).min(z.shm.size);
        let mut mem = ptr::null_mut::<c_void>();
        let log_nomem = (*pool).log_nomem();
        (*pool).set_log_nomem(0);
        while bytes >= 4096 {
            mem = ngx_slab_alloc(pool, bytes);
            if !mem.is_null() {
                break;
            }
            bytes = bytes / 10 * 9;
        }
        (*pool).set_log_nomem(log_nomem);
        let mut secret = [0u8; 32];
        let table = if mem.is_null() || getrandom::fill(&mut secret).is_err() {
            None
        } else {
            Table::<V>::init(mem.cast(), bytes, secret)
        };
        if let Some(t) = &table {
            log_zone(
                z,
                nginx_sys::NGX_LOG_NOTICE,
                &format!(
                    "holds {} entries of {} bytes",
                    t.capacity(),
                    fediguard_core::shm_table::bytes_per_entry::<V>()
                ),
            );
        }
        if table.is_none() {
            log_zone(z, NGX_LOG_EMERG, "is too small");
            return Status::NGX_ERROR.0;
        }
        (*pool).data = mem;
        z.data = mem;
        Status::NGX_OK.0
    }
}

/// Logs `fediguard: zone "name" msg` on the zone's log.
pub fn log_zone(z: &ngx_shm_zone_t, level: u32, msg: &str) {
    super::log::write(
        z.shm.log,
        level as usize,
        &format!(
            "fediguard: zone \"{}\" {msg}",
            String::from_utf8_lossy(z.shm.name.as_bytes())
        ),
    );
}
